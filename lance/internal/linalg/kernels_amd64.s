//go:build !purego

#include "textflag.h"

// Register use in all kernels: SI walks a, DI walks b, CX counts the
// elements left. Sums accumulate in 8-lane YMM registers; the main loops keep
// eight of them independent so that FMA latency (4 cycles, 2 per cycle) is
// hidden. What is left after the 8-wide steps is done one element at a time
// in the low lane of X0 (and X4), after the horizontal sum.

// HSUM folds the eight lanes of Y register y into the low lane of its X
// half x, using t as scratch.
#define HSUM(y, x, t) \
	VEXTRACTF128 $1, y, t \
	VADDPS       t, x, x  \
	VPERMILPS    $0x4e, x, t \
	VADDPS       t, x, x  \
	VPERMILPS    $0xb1, x, t \
	VADDPS       t, x, x

// func dotAVX2(a, b []float32) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-52
	MOVQ   a_base+0(FP), SI
	MOVQ   b_base+24(FP), DI
	MOVQ   a_len+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	CMPQ   CX, $64
	JLT    dot_by8

dot_by64:
	VMOVUPS     (SI), Y8
	VMOVUPS     32(SI), Y9
	VMOVUPS     64(SI), Y10
	VMOVUPS     96(SI), Y11
	VMOVUPS     128(SI), Y12
	VMOVUPS     160(SI), Y13
	VMOVUPS     192(SI), Y14
	VMOVUPS     224(SI), Y15
	VFMADD231PS (DI), Y8, Y0
	VFMADD231PS 32(DI), Y9, Y1
	VFMADD231PS 64(DI), Y10, Y2
	VFMADD231PS 96(DI), Y11, Y3
	VFMADD231PS 128(DI), Y12, Y4
	VFMADD231PS 160(DI), Y13, Y5
	VFMADD231PS 192(DI), Y14, Y6
	VFMADD231PS 224(DI), Y15, Y7
	ADDQ        $256, SI
	ADDQ        $256, DI
	SUBQ        $64, CX
	CMPQ        CX, $64
	JGE         dot_by64

dot_by8:
	CMPQ        CX, $8
	JLT         dot_reduce
	VMOVUPS     (SI), Y8
	VFMADD231PS (DI), Y8, Y0
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         dot_by8

dot_reduce:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y5, Y4, Y4
	VADDPS Y7, Y6, Y6
	VADDPS Y2, Y0, Y0
	VADDPS Y6, Y4, Y4
	VADDPS Y4, Y0, Y0
	HSUM(Y0, X0, X1)
	TESTQ  CX, CX
	JZ     dot_done

dot_by1:
	VMOVSS      (SI), X8
	VFMADD231SS (DI), X8, X0
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JNZ         dot_by1

dot_done:
	VZEROUPPER
	MOVSS X0, ret+48(FP)
	RET

// func l2AVX2(a, b []float32) float32
TEXT ·l2AVX2(SB), NOSPLIT, $0-52
	MOVQ   a_base+0(FP), SI
	MOVQ   b_base+24(FP), DI
	MOVQ   a_len+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	CMPQ   CX, $64
	JLT    l2_by8

l2_by64:
	VMOVUPS     (SI), Y8
	VMOVUPS     32(SI), Y9
	VMOVUPS     64(SI), Y10
	VMOVUPS     96(SI), Y11
	VMOVUPS     128(SI), Y12
	VMOVUPS     160(SI), Y13
	VMOVUPS     192(SI), Y14
	VMOVUPS     224(SI), Y15
	VSUBPS      (DI), Y8, Y8
	VSUBPS      32(DI), Y9, Y9
	VSUBPS      64(DI), Y10, Y10
	VSUBPS      96(DI), Y11, Y11
	VSUBPS      128(DI), Y12, Y12
	VSUBPS      160(DI), Y13, Y13
	VSUBPS      192(DI), Y14, Y14
	VSUBPS      224(DI), Y15, Y15
	VFMADD231PS Y8, Y8, Y0
	VFMADD231PS Y9, Y9, Y1
	VFMADD231PS Y10, Y10, Y2
	VFMADD231PS Y11, Y11, Y3
	VFMADD231PS Y12, Y12, Y4
	VFMADD231PS Y13, Y13, Y5
	VFMADD231PS Y14, Y14, Y6
	VFMADD231PS Y15, Y15, Y7
	ADDQ        $256, SI
	ADDQ        $256, DI
	SUBQ        $64, CX
	CMPQ        CX, $64
	JGE         l2_by64

l2_by8:
	CMPQ        CX, $8
	JLT         l2_reduce
	VMOVUPS     (SI), Y8
	VSUBPS      (DI), Y8, Y8
	VFMADD231PS Y8, Y8, Y0
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         l2_by8

l2_reduce:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y5, Y4, Y4
	VADDPS Y7, Y6, Y6
	VADDPS Y2, Y0, Y0
	VADDPS Y6, Y4, Y4
	VADDPS Y4, Y0, Y0
	HSUM(Y0, X0, X1)
	TESTQ  CX, CX
	JZ     l2_done

l2_by1:
	VMOVSS      (SI), X8
	VSUBSS      (DI), X8, X8
	VFMADD231SS X8, X8, X0
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JNZ         l2_by1

l2_done:
	VZEROUPPER
	MOVSS X0, ret+48(FP)
	RET

// func dotNormAVX2(a, b []float32) (ab, bb float32)
// Y0..Y3 accumulate a·b and Y4..Y7 accumulate b·b; b is loaded once.
TEXT ·dotNormAVX2(SB), NOSPLIT, $0-56
	MOVQ   a_base+0(FP), SI
	MOVQ   b_base+24(FP), DI
	MOVQ   a_len+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	CMPQ   CX, $32
	JLT    dn_by8

dn_by32:
	VMOVUPS     (DI), Y8
	VMOVUPS     32(DI), Y9
	VMOVUPS     64(DI), Y10
	VMOVUPS     96(DI), Y11
	VFMADD231PS (SI), Y8, Y0
	VFMADD231PS 32(SI), Y9, Y1
	VFMADD231PS 64(SI), Y10, Y2
	VFMADD231PS 96(SI), Y11, Y3
	VFMADD231PS Y8, Y8, Y4
	VFMADD231PS Y9, Y9, Y5
	VFMADD231PS Y10, Y10, Y6
	VFMADD231PS Y11, Y11, Y7
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $32, CX
	CMPQ        CX, $32
	JGE         dn_by32

dn_by8:
	CMPQ        CX, $8
	JLT         dn_reduce
	VMOVUPS     (DI), Y8
	VFMADD231PS (SI), Y8, Y0
	VFMADD231PS Y8, Y8, Y4
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         dn_by8

dn_reduce:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VADDPS Y5, Y4, Y4
	VADDPS Y7, Y6, Y6
	VADDPS Y6, Y4, Y4
	HSUM(Y0, X0, X1)
	HSUM(Y4, X4, X5)
	TESTQ  CX, CX
	JZ     dn_done

dn_by1:
	VMOVSS      (DI), X8
	VFMADD231SS (SI), X8, X0
	VFMADD231SS X8, X8, X4
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JNZ         dn_by1

dn_done:
	VZEROUPPER
	MOVSS X0, ab+48(FP)
	MOVSS X4, bb+52(FP)
	RET
