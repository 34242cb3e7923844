//go:build amd64 && !purego

#include "textflag.h"

// func addRows4AVX2(dst *float64, z0, z1, z2, z3 *float32, n int, r *[4]float64)
//
// For k in [0, n), n a multiple of 4: dst[k] = (((dst[k] + r[0]*z0[k]) +
// r[1]*z1[k]) + r[2]*z2[k]) + r[3]*z3[k], four k per instruction. Each
// lane multiplies and adds as the scalar loop does, without fusing, so
// the sums are the same bit for bit.
TEXT ·addRows4AVX2(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ z0+8(FP), R8
	MOVQ z1+16(FP), R9
	MOVQ z2+24(FP), R10
	MOVQ z3+32(FP), R11
	MOVQ n+40(FP), CX
	MOVQ r+48(FP), AX
	VBROADCASTSD 0(AX), Y0
	VBROADCASTSD 8(AX), Y1
	VBROADCASTSD 16(AX), Y2
	VBROADCASTSD 24(AX), Y3
	XORQ BX, BX

loop:
	CMPQ BX, CX
	JAE  done
	VMOVUPD   (DI)(BX*8), Y4
	VCVTPS2PD (R8)(BX*4), Y5
	VMULPD    Y0, Y5, Y5
	VADDPD    Y5, Y4, Y4
	VCVTPS2PD (R9)(BX*4), Y6
	VMULPD    Y1, Y6, Y6
	VADDPD    Y6, Y4, Y4
	VCVTPS2PD (R10)(BX*4), Y7
	VMULPD    Y2, Y7, Y7
	VADDPD    Y7, Y4, Y4
	VCVTPS2PD (R11)(BX*4), Y8
	VMULPD    Y3, Y8, Y8
	VADDPD    Y8, Y4, Y4
	VMOVUPD   Y4, (DI)(BX*8)
	ADDQ      $4, BX
	JMP       loop

done:
	VZEROUPPER
	RET
