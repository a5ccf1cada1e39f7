//go:build !purego

#include "textflag.h"

// func dotsColsAVX2(row *float32, dim int, cols *float32, k int, out *float32)
//
// k is a positive multiple of 8 and dim is positive. Blocks of 64 outputs
// keep eight independent accumulators (hiding FMA latency); the last k mod 64
// outputs go eight at a time. For each block the loop walks the dim columns:
// broadcast row[d], multiply-add the block's slice of column d.
//
// Registers: SI row, CX dim, DI cols, DX k, R8 out, R9 column stride in
// bytes, R10 byte offset of the block, R11 column pointer, BX d.
TEXT ·dotsColsAVX2(SB), NOSPLIT, $0-40
	MOVQ row+0(FP), SI
	MOVQ dim+8(FP), CX
	MOVQ cols+16(FP), DI
	MOVQ k+24(FP), DX
	MOVQ out+32(FP), R8
	MOVQ DX, R9
	SHLQ $2, R9
	XORQ R10, R10

block64:
	MOVQ R9, AX
	SUBQ R10, AX
	CMPQ AX, $256
	JL   block8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	LEAQ   (DI)(R10*1), R11
	XORQ   BX, BX

loop64:
	VBROADCASTSS (SI)(BX*4), Y8
	VFMADD231PS  (R11), Y8, Y0
	VFMADD231PS  32(R11), Y8, Y1
	VFMADD231PS  64(R11), Y8, Y2
	VFMADD231PS  96(R11), Y8, Y3
	VFMADD231PS  128(R11), Y8, Y4
	VFMADD231PS  160(R11), Y8, Y5
	VFMADD231PS  192(R11), Y8, Y6
	VFMADD231PS  224(R11), Y8, Y7
	ADDQ         R9, R11
	INCQ         BX
	CMPQ         BX, CX
	JL           loop64

	LEAQ    (R8)(R10*1), R12
	VMOVUPS Y0, (R12)
	VMOVUPS Y1, 32(R12)
	VMOVUPS Y2, 64(R12)
	VMOVUPS Y3, 96(R12)
	VMOVUPS Y4, 128(R12)
	VMOVUPS Y5, 160(R12)
	VMOVUPS Y6, 192(R12)
	VMOVUPS Y7, 224(R12)
	ADDQ    $256, R10
	JMP     block64

block8:
	MOVQ R9, AX
	SUBQ R10, AX
	CMPQ AX, $32
	JL   done
	VXORPS Y0, Y0, Y0
	LEAQ   (DI)(R10*1), R11
	XORQ   BX, BX

loop8:
	VBROADCASTSS (SI)(BX*4), Y8
	VFMADD231PS  (R11), Y8, Y0
	ADDQ         R9, R11
	INCQ         BX
	CMPQ         BX, CX
	JL           loop8

	VMOVUPS Y0, (R8)(R10*1)
	ADDQ    $32, R10
	JMP     block8

done:
	VZEROUPPER
	RET
