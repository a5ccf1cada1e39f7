//go:build !purego

#include "textflag.h"

// Register use in all kernels: R0 walks a, R1 walks b, R2 counts the
// elements left. Sums accumulate in 4-lane registers V16..V23, eight of them
// independent in the dot and l2 main loops to hide FMLA latency. V31 holds
// 1.0 in every lane: the Go assembler has no vector FADD/FSUB, so a+b is
// written a += b*1 and a-b as a -= b*1, which round exactly as an add does.
// What is left after the 4-wide steps is done one element at a time in the
// low lane (F16, F20) after the horizontal sum.

#define ONES \
	FMOVS $1.0, F31 \
	VDUP  V31.S[0], V31.S4

// ADD4(x, y) sets x += y, four lanes.
#define ADD4(x, y) VFMLA y.S4, V31.S4, x.S4

// HSUM folds the four lanes of v into its low lane, using V30 as scratch.
#define HSUM(v) \
	VEXT  $8, v.B16, v.B16, V30.B16 \
	ADD4(v, V30) \
	VEXT  $4, v.B16, v.B16, V30.B16 \
	ADD4(v, V30)

// FOLD8 adds V17..V23 into V16.
#define FOLD8 \
	ADD4(V16, V17) \
	ADD4(V18, V19) \
	ADD4(V20, V21) \
	ADD4(V22, V23) \
	ADD4(V16, V18) \
	ADD4(V20, V22) \
	ADD4(V16, V20)

#define ZERO8 \
	VEOR V16.B16, V16.B16, V16.B16 \
	VEOR V17.B16, V17.B16, V17.B16 \
	VEOR V18.B16, V18.B16, V18.B16 \
	VEOR V19.B16, V19.B16, V19.B16 \
	VEOR V20.B16, V20.B16, V20.B16 \
	VEOR V21.B16, V21.B16, V21.B16 \
	VEOR V22.B16, V22.B16, V22.B16 \
	VEOR V23.B16, V23.B16, V23.B16

// func dotNEON(a, b []float32) float32
TEXT ·dotNEON(SB), NOSPLIT, $0-52
	MOVD a_base+0(FP), R0
	MOVD b_base+24(FP), R1
	MOVD a_len+8(FP), R2
	ONES
	ZERO8
	CMP  $32, R2
	BLT  dot_by4

dot_by32:
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P 64(R1), [V8.S4, V9.S4, V10.S4, V11.S4]
	VLD1.P 64(R1), [V12.S4, V13.S4, V14.S4, V15.S4]
	VFMLA  V8.S4, V0.S4, V16.S4
	VFMLA  V9.S4, V1.S4, V17.S4
	VFMLA  V10.S4, V2.S4, V18.S4
	VFMLA  V11.S4, V3.S4, V19.S4
	VFMLA  V12.S4, V4.S4, V20.S4
	VFMLA  V13.S4, V5.S4, V21.S4
	VFMLA  V14.S4, V6.S4, V22.S4
	VFMLA  V15.S4, V7.S4, V23.S4
	SUB    $32, R2
	CMP    $32, R2
	BGE    dot_by32

dot_by4:
	CMP    $4, R2
	BLT    dot_reduce
	VLD1.P 16(R0), [V0.S4]
	VLD1.P 16(R1), [V8.S4]
	VFMLA  V8.S4, V0.S4, V16.S4
	SUB    $4, R2
	B      dot_by4

dot_reduce:
	FOLD8
	HSUM(V16)
	CBZ    R2, dot_done

dot_by1:
	FMOVS.P 4(R0), F1
	FMOVS.P 4(R1), F2
	FMADDS  F2, F16, F1, F16
	SUB     $1, R2
	CBNZ    R2, dot_by1

dot_done:
	FMOVS F16, ret+48(FP)
	RET

// func l2NEON(a, b []float32) float32
TEXT ·l2NEON(SB), NOSPLIT, $0-52
	MOVD a_base+0(FP), R0
	MOVD b_base+24(FP), R1
	MOVD a_len+8(FP), R2
	ONES
	ZERO8
	CMP  $32, R2
	BLT  l2_by4

l2_by32:
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P 64(R1), [V8.S4, V9.S4, V10.S4, V11.S4]
	VLD1.P 64(R1), [V12.S4, V13.S4, V14.S4, V15.S4]
	VFMLS  V8.S4, V31.S4, V0.S4
	VFMLS  V9.S4, V31.S4, V1.S4
	VFMLS  V10.S4, V31.S4, V2.S4
	VFMLS  V11.S4, V31.S4, V3.S4
	VFMLS  V12.S4, V31.S4, V4.S4
	VFMLS  V13.S4, V31.S4, V5.S4
	VFMLS  V14.S4, V31.S4, V6.S4
	VFMLS  V15.S4, V31.S4, V7.S4
	VFMLA  V0.S4, V0.S4, V16.S4
	VFMLA  V1.S4, V1.S4, V17.S4
	VFMLA  V2.S4, V2.S4, V18.S4
	VFMLA  V3.S4, V3.S4, V19.S4
	VFMLA  V4.S4, V4.S4, V20.S4
	VFMLA  V5.S4, V5.S4, V21.S4
	VFMLA  V6.S4, V6.S4, V22.S4
	VFMLA  V7.S4, V7.S4, V23.S4
	SUB    $32, R2
	CMP    $32, R2
	BGE    l2_by32

l2_by4:
	CMP    $4, R2
	BLT    l2_reduce
	VLD1.P 16(R0), [V0.S4]
	VLD1.P 16(R1), [V8.S4]
	VFMLS  V8.S4, V31.S4, V0.S4
	VFMLA  V0.S4, V0.S4, V16.S4
	SUB    $4, R2
	B      l2_by4

l2_reduce:
	FOLD8
	HSUM(V16)
	CBZ    R2, l2_done

l2_by1:
	FMOVS.P 4(R0), F1
	FMOVS.P 4(R1), F2
	FSUBS   F2, F1, F1
	FMADDS  F1, F16, F1, F16
	SUB     $1, R2
	CBNZ    R2, l2_by1

l2_done:
	FMOVS F16, ret+48(FP)
	RET

// func dotNormNEON(a, b []float32) (ab, bb float32)
// V16..V19 accumulate a·b and V20..V23 accumulate b·b; b is loaded once.
TEXT ·dotNormNEON(SB), NOSPLIT, $0-56
	MOVD a_base+0(FP), R0
	MOVD b_base+24(FP), R1
	MOVD a_len+8(FP), R2
	ONES
	ZERO8
	CMP  $16, R2
	BLT  dn_by4

dn_by16:
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFMLA  V4.S4, V0.S4, V16.S4
	VFMLA  V5.S4, V1.S4, V17.S4
	VFMLA  V6.S4, V2.S4, V18.S4
	VFMLA  V7.S4, V3.S4, V19.S4
	VFMLA  V4.S4, V4.S4, V20.S4
	VFMLA  V5.S4, V5.S4, V21.S4
	VFMLA  V6.S4, V6.S4, V22.S4
	VFMLA  V7.S4, V7.S4, V23.S4
	SUB    $16, R2
	CMP    $16, R2
	BGE    dn_by16

dn_by4:
	CMP    $4, R2
	BLT    dn_reduce
	VLD1.P 16(R0), [V0.S4]
	VLD1.P 16(R1), [V4.S4]
	VFMLA  V4.S4, V0.S4, V16.S4
	VFMLA  V4.S4, V4.S4, V20.S4
	SUB    $4, R2
	B      dn_by4

dn_reduce:
	ADD4(V16, V17)
	ADD4(V18, V19)
	ADD4(V16, V18)
	ADD4(V20, V21)
	ADD4(V22, V23)
	ADD4(V20, V22)
	HSUM(V16)
	HSUM(V20)
	CBZ    R2, dn_done

dn_by1:
	FMOVS.P 4(R0), F1
	FMOVS.P 4(R1), F2
	FMADDS  F2, F16, F1, F16
	FMADDS  F2, F20, F2, F20
	SUB     $1, R2
	CBNZ    R2, dn_by1

dn_done:
	FMOVS F16, ab+48(FP)
	FMOVS F20, bb+52(FP)
	RET
