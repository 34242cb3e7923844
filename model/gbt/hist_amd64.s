//go:build amd64 && !purego

#include "textflag.h"

// func addHist4SSE2(h0, h1, h2, h3 *gpair, c0, c1, c2, c3 *uint8, idx []int32, g []gpair)
//
// For each i: r = idx[i]; for q in 0..3: hq[cq[r]] += g[i], where a bin
// and a pair are two float64s (16 bytes) added as one SSE2 vector.
TEXT ·addHist4SSE2(SB), NOSPLIT, $0-112
	MOVQ h0+0(FP), R8
	MOVQ h1+8(FP), R9
	MOVQ h2+16(FP), R10
	MOVQ h3+24(FP), R11
	MOVQ c0+32(FP), R12
	MOVQ c1+40(FP), R13
	MOVQ c2+48(FP), R14
	MOVQ c3+56(FP), R15
	MOVQ idx_base+64(FP), SI
	MOVQ idx_len+72(FP), CX
	MOVQ g_base+88(FP), DI
	XORQ AX, AX

loop:
	CMPQ AX, CX
	JGE  done
	MOVLQSX (SI)(AX*4), DX
	MOVUPD  (DI), X0

	MOVBQZX (R12)(DX*1), BX
	SHLQ    $4, BX
	MOVUPD  (R8)(BX*1), X1
	ADDPD   X0, X1
	MOVUPD  X1, (R8)(BX*1)

	MOVBQZX (R13)(DX*1), BX
	SHLQ    $4, BX
	MOVUPD  (R9)(BX*1), X2
	ADDPD   X0, X2
	MOVUPD  X2, (R9)(BX*1)

	MOVBQZX (R14)(DX*1), BX
	SHLQ    $4, BX
	MOVUPD  (R10)(BX*1), X3
	ADDPD   X0, X3
	MOVUPD  X3, (R10)(BX*1)

	MOVBQZX (R15)(DX*1), BX
	SHLQ    $4, BX
	MOVUPD  (R11)(BX*1), X4
	ADDPD   X0, X4
	MOVUPD  X4, (R11)(BX*1)

	ADDQ $16, DI
	INCQ AX
	JMP  loop

done:
	RET

// func addHist8SSE2(h *[8]*gpair, c *[8]*uint8, idx []int32, g []gpair)
//
// addHist4SSE2 for eight columns: eight chains of additions per row, which
// overlap where a column's repeated bin makes each addition wait on the
// previous one's store.
TEXT ·addHist8SSE2(SB), NOSPLIT, $0-64
	MOVQ h+0(FP), AX
	MOVQ c+8(FP), BX
	MOVQ 0(BX), R8
	MOVQ 8(BX), R9
	MOVQ 16(BX), R10
	MOVQ 24(BX), R11
	MOVQ 32(BX), R12
	MOVQ 40(BX), R13
	MOVQ 48(BX), R14
	MOVQ 56(BX), R15
	MOVQ idx_base+16(FP), SI
	MOVQ idx_len+24(FP), CX
	LEAQ (SI)(CX*4), CX
	MOVQ g_base+40(FP), DI

#define ADDBIN(CODES, SLOT, XR) \
	MOVBQZX (CODES)(DX*1), BX; \
	SHLQ    $4, BX; \
	ADDQ    SLOT(AX), BX; \
	MOVUPD  (BX), XR; \
	ADDPD   X0, XR; \
	MOVUPD  XR, (BX)

loop8:
	CMPQ SI, CX
	JAE  done8
	MOVLQSX (SI), DX
	MOVUPD  (DI), X0
	ADDBIN(R8, 0, X1)
	ADDBIN(R9, 8, X2)
	ADDBIN(R10, 16, X3)
	ADDBIN(R11, 24, X4)
	ADDBIN(R12, 32, X5)
	ADDBIN(R13, 40, X6)
	ADDBIN(R14, 48, X7)
	ADDBIN(R15, 56, X8)
	ADDQ $4, SI
	ADDQ $16, DI
	JMP  loop8

done8:
	RET
