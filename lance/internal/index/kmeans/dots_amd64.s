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

// func bestColsAVX2(row *float32, dim int, cols *float32, k int, bias *float32, out *float32) int
//
// Sets out[c] = bias[c] + Σ_d row[d]·cols[d·k + c] like dotsColsAVX2 (same
// register use, plus R13 = bias) and returns the lowest c holding the
// largest out[c]; 0 if no lane compares equal to the maximum (all NaN).
TEXT ·bestColsAVX2(SB), NOSPLIT, $0-56
	MOVQ row+0(FP), SI
	MOVQ dim+8(FP), CX
	MOVQ cols+16(FP), DI
	MOVQ k+24(FP), DX
	MOVQ bias+32(FP), R13
	MOVQ out+40(FP), R8
	MOVQ DX, R9
	SHLQ $2, R9
	XORQ R10, R10
	MOVL $0xff800000, AX // -Inf
	MOVL AX, X15
	VBROADCASTSS X15, Y15

bblock64:
	MOVQ    R9, AX
	SUBQ    R10, AX
	CMPQ    AX, $256
	JL      bblock8
	LEAQ    (R13)(R10*1), R12
	VMOVUPS (R12), Y0
	VMOVUPS 32(R12), Y1
	VMOVUPS 64(R12), Y2
	VMOVUPS 96(R12), Y3
	VMOVUPS 128(R12), Y4
	VMOVUPS 160(R12), Y5
	VMOVUPS 192(R12), Y6
	VMOVUPS 224(R12), Y7
	LEAQ    (DI)(R10*1), R11
	XORQ    BX, BX

bloop64:
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
	JL           bloop64

	LEAQ    (R8)(R10*1), R12
	VMOVUPS Y0, (R12)
	VMOVUPS Y1, 32(R12)
	VMOVUPS Y2, 64(R12)
	VMOVUPS Y3, 96(R12)
	VMOVUPS Y4, 128(R12)
	VMOVUPS Y5, 160(R12)
	VMOVUPS Y6, 192(R12)
	VMOVUPS Y7, 224(R12)
	VMAXPS  Y0, Y15, Y15
	VMAXPS  Y1, Y15, Y15
	VMAXPS  Y2, Y15, Y15
	VMAXPS  Y3, Y15, Y15
	VMAXPS  Y4, Y15, Y15
	VMAXPS  Y5, Y15, Y15
	VMAXPS  Y6, Y15, Y15
	VMAXPS  Y7, Y15, Y15
	ADDQ    $256, R10
	JMP     bblock64

bblock8:
	MOVQ    R9, AX
	SUBQ    R10, AX
	CMPQ    AX, $32
	JL      bmax
	VMOVUPS (R13)(R10*1), Y0
	LEAQ    (DI)(R10*1), R11
	XORQ    BX, BX

bloop8:
	VBROADCASTSS (SI)(BX*4), Y8
	VFMADD231PS  (R11), Y8, Y0
	ADDQ         R9, R11
	INCQ         BX
	CMPQ         BX, CX
	JL           bloop8

	VMOVUPS Y0, (R8)(R10*1)
	VMAXPS  Y0, Y15, Y15
	ADDQ    $32, R10
	JMP     bblock8

bmax:
	// Fold the running maximum to one lane and broadcast it.
	VEXTRACTF128 $1, Y15, X14
	VMAXPS       X14, X15, X15
	VPERMILPS    $0x4e, X15, X14
	VMAXPS       X14, X15, X15
	VPERMILPS    $0xb1, X15, X14
	VMAXPS       X14, X15, X15
	VBROADCASTSS X15, Y15
	XORQ         R10, R10

bscan:
	CMPQ      R10, R9
	JGE       bnone
	VCMPPS    $0, (R8)(R10*1), Y15, Y14
	VMOVMSKPS Y14, AX
	TESTL     AX, AX
	JNZ       bfound
	ADDQ      $32, R10
	JMP       bscan

bfound:
	BSFL AX, AX
	SHRQ $2, R10
	ADDQ R10, AX
	MOVQ AX, ret+48(FP)
	VZEROUPPER
	RET

bnone:
	MOVQ $0, ret+48(FP)
	VZEROUPPER
	RET

// func dots2x4AVX2(x0, x1, c *float32, dim int, out *float32)
//
// out[j] = x0·c_j and out[4+j] = x1·c_j for the four vectors c_0..c_3 stored
// back to back at c, all of dim floats; dim is a positive multiple of 8.
// Each centroid load serves both rows, so the loop is bound by FMAs rather
// than loads. Every output has its own accumulator, so x0's results do not
// depend on x1.
TEXT ·dots2x4AVX2(SB), NOSPLIT, $0-40
	MOVQ x0+0(FP), SI
	MOVQ x1+8(FP), R8
	MOVQ c+16(FP), DI
	MOVQ dim+24(FP), CX
	MOVQ out+32(FP), DX
	SHLQ $2, CX
	LEAQ (DI)(CX*1), R10
	LEAQ (DI)(CX*2), R11
	LEAQ (R10)(CX*2), R12
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	XORQ   AX, AX

dloop:
	VMOVUPS     (SI)(AX*1), Y8
	VMOVUPS     (R8)(AX*1), Y9
	VMOVUPS     (DI)(AX*1), Y10
	VFMADD231PS Y10, Y8, Y0
	VFMADD231PS Y10, Y9, Y4
	VMOVUPS     (R10)(AX*1), Y11
	VFMADD231PS Y11, Y8, Y1
	VFMADD231PS Y11, Y9, Y5
	VMOVUPS     (R11)(AX*1), Y10
	VFMADD231PS Y10, Y8, Y2
	VFMADD231PS Y10, Y9, Y6
	VMOVUPS     (R12)(AX*1), Y11
	VFMADD231PS Y11, Y8, Y3
	VFMADD231PS Y11, Y9, Y7
	ADDQ        $32, AX
	CMPQ        AX, CX
	JL          dloop

	// Horizontal sums: two rounds of pairwise adds leave, in each 128-bit
	// half, the partial sums of the four accumulators in order; adding the
	// halves finishes them.
	VHADDPS      Y1, Y0, Y12
	VHADDPS      Y3, Y2, Y13
	VHADDPS      Y13, Y12, Y12
	VEXTRACTF128 $1, Y12, X13
	VADDPS       X13, X12, X12
	VMOVUPS      X12, (DX)
	VHADDPS      Y5, Y4, Y12
	VHADDPS      Y7, Y6, Y13
	VHADDPS      Y13, Y12, Y12
	VEXTRACTF128 $1, Y12, X13
	VADDPS       X13, X12, X12
	VMOVUPS      X12, 16(DX)
	VZEROUPPER
	RET
