//go:build amd64 && !purego

#include "textflag.h"

// A column's histogram starts histStride (260) gpairs of 16 bytes, 4160
// bytes, after the previous column's: the offsets of columns 0 to 7 below.
// hist_test.go's TestHistStrideBytes holds histStride to it.

// ADDBIN adds the pair in X0 to the bin that CODES gives row DX, in the
// histogram OFF bytes after AX.
#define ADDBIN(CODES, OFF, XR) \
	MOVBQZX (CODES)(DX*1), BX; \
	SHLQ    $4, BX; \
	MOVUPD  OFF(AX)(BX*1), XR; \
	ADDPD   X0, XR; \
	MOVUPD  XR, OFF(AX)(BX*1)

// func addHist4SSE2(h *gpair, c0, c1, c2, c3 *uint8, idx []int32, g []gpair)
//
// For each i: r = idx[i]; for q in 0..3: h[q*histStride+cq[r]] += g[i],
// where a bin and a pair are two float64s (16 bytes) added as one SSE2
// vector.
TEXT ·addHist4SSE2(SB), NOSPLIT, $0-88
	MOVQ h+0(FP), AX
	MOVQ c0+8(FP), R8
	MOVQ c1+16(FP), R9
	MOVQ c2+24(FP), R10
	MOVQ c3+32(FP), R11
	MOVQ idx_base+40(FP), SI
	MOVQ idx_len+48(FP), CX
	LEAQ (SI)(CX*4), CX
	MOVQ g_base+64(FP), DI

loop4:
	CMPQ SI, CX
	JAE  done4
	MOVLQSX (SI), DX
	MOVUPD  (DI), X0
	ADDBIN(R8, 0, X1)
	ADDBIN(R9, 4160, X2)
	ADDBIN(R10, 8320, X3)
	ADDBIN(R11, 12480, X4)
	ADDQ $4, SI
	ADDQ $16, DI
	JMP  loop4

done4:
	RET

// func addHist8SSE2(h *gpair, c *[8]*uint8, idx []int32, g []gpair)
//
// addHist4SSE2 for eight columns: eight chains of additions per row, which
// overlap where a column's repeated bin makes each addition wait on the
// previous one's store. The histograms' offsets are constants of the
// instructions, so a bin costs a load of its code, a load and a store.
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

loop8:
	CMPQ SI, CX
	JAE  done8
	MOVLQSX (SI), DX
	MOVUPD  (DI), X0
	ADDBIN(R8, 0, X1)
	ADDBIN(R9, 4160, X2)
	ADDBIN(R10, 8320, X3)
	ADDBIN(R11, 12480, X4)
	ADDBIN(R12, 16640, X5)
	ADDBIN(R13, 20800, X6)
	ADDBIN(R14, 24960, X7)
	ADDBIN(R15, 29120, X8)
	ADDQ $4, SI
	ADDQ $16, DI
	JMP  loop8

done8:
	RET

// func addHist8RowsSSE2(h *gpair, c *[8]*uint8, stride int, idx []int32, g []gpair, pre int)
//
// addHist8SSE2 on row-major codes: column q's code of row r is at
// c[q] + r*stride, so that the eight codes of a row, which lie close
// together in it, share a cache line or two where a sparse node's rows
// would touch a line per column.
TEXT ·addHist8RowsSSE2(SB), NOSPLIT, $0-80
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
	MOVQ idx_base+24(FP), SI
	MOVQ idx_len+32(FP), CX
	LEAQ (SI)(CX*4), CX
	MOVQ g_base+48(FP), DI
	// The first loop prefetches the codes of the row 16 ahead, for the
	// first pre rows; pre's slot then holds where they end.
	MOVQ pre+72(FP), BX
	LEAQ (SI)(BX*4), BX
	MOVQ BX, pre+72(FP)

pre8r:
	CMPQ SI, pre+72(FP)
	JAE  loop8r
	MOVLQSX 64(SI), BX
	IMULQ   stride+16(FP), BX
	PREFETCHT0 (R8)(BX*1)
	PREFETCHT0 (R15)(BX*1)
	MOVLQSX (SI), DX
	IMULQ   stride+16(FP), DX
	MOVUPD  (DI), X0
	ADDBIN(R8, 0, X1)
	ADDBIN(R9, 4160, X2)
	ADDBIN(R10, 8320, X3)
	ADDBIN(R11, 12480, X4)
	ADDBIN(R12, 16640, X5)
	ADDBIN(R13, 20800, X6)
	ADDBIN(R14, 24960, X7)
	ADDBIN(R15, 29120, X8)
	ADDQ $4, SI
	ADDQ $16, DI
	JMP  pre8r

loop8r:
	CMPQ SI, CX
	JAE  done8r
	MOVLQSX (SI), DX
	IMULQ   stride+16(FP), DX
	MOVUPD  (DI), X0
	ADDBIN(R8, 0, X1)
	ADDBIN(R9, 4160, X2)
	ADDBIN(R10, 8320, X3)
	ADDBIN(R11, 12480, X4)
	ADDBIN(R12, 16640, X5)
	ADDBIN(R13, 20800, X6)
	ADDBIN(R14, 24960, X7)
	ADDBIN(R15, 29120, X8)
	ADDQ $4, SI
	ADDQ $16, DI
	JMP  loop8r

done8r:
	RET

// func addHist4RowsSSE2(h *gpair, c0, c1, c2, c3 *uint8, stride int, idx []int32, g []gpair)
//
// addHist8RowsSSE2 for four columns.
TEXT ·addHist4RowsSSE2(SB), NOSPLIT, $0-96
	MOVQ h+0(FP), AX
	MOVQ c0+8(FP), R8
	MOVQ c1+16(FP), R9
	MOVQ c2+24(FP), R10
	MOVQ c3+32(FP), R11
	MOVQ stride+40(FP), R12
	MOVQ idx_base+48(FP), SI
	MOVQ idx_len+56(FP), CX
	LEAQ (SI)(CX*4), CX
	MOVQ g_base+72(FP), DI

loop4r:
	CMPQ SI, CX
	JAE  done4r
	MOVLQSX (SI), DX
	IMULQ   R12, DX
	MOVUPD  (DI), X0
	ADDBIN(R8, 0, X1)
	ADDBIN(R9, 4160, X2)
	ADDBIN(R10, 8320, X3)
	ADDBIN(R11, 12480, X4)
	ADDQ $4, SI
	ADDQ $16, DI
	JMP  loop4r

done4r:
	RET
