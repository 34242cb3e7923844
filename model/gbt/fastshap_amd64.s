//go:build amd64 && !purego

#include "textflag.h"

// func shapLeafAVX512(phi *float64, hs *uint32, tab *float64, slots *shapSlot, d int, n8 int, tail uint64, n int)
//
// Adds the terms of one leaf's d slots (1 to 6) to the n rows of a block:
// for slot j of column c and row r, phi[c*n+r] += coef[f] * tab[h &^
// (1<<j)], h the row's pattern hs[r] masked to d bits and f its bit j.
// The table's 64 entries from tab on are held in Z16-Z23 (entries past
// 1<<d are never selected) and looked up eight rows at once by
// two-register permutes of 16 entries: one for a table of up to 16, two
// and a blend for 32, four and three blends for 64. n8 is n rounded down
// to a multiple of 8, tail the mask of the rows past it. The product and
// the sum are rounded as the Go loop rounds them (no fused multiply-add).
TEXT ·shapLeafAVX512(SB), NOSPLIT, $0-64
	MOVQ phi+0(FP), R8
	MOVQ hs+8(FP), R10
	MOVQ tab+16(FP), DI
	MOVQ slots+24(FP), R11
	MOVQ d+32(FP), R12
	MOVQ n8+40(FP), R9
	MOVQ tail+48(FP), DX
	KMOVW DX, K3
	VMOVUPD 0(DI), Z16
	VMOVUPD 64(DI), Z17
	VMOVUPD 128(DI), Z18
	VMOVUPD 192(DI), Z19
	VMOVUPD 256(DI), Z20
	VMOVUPD 320(DI), Z21
	VMOVUPD 384(DI), Z22
	VMOVUPD 448(DI), Z23
	MOVQ $16, DX
	VPBROADCASTQ DX, Z24
	MOVQ $32, DX
	VPBROADCASTQ DX, Z25
	// BX = (1<<d)-1, the leaf's mask.
	MOVQ R12, CX
	MOVQ $1, BX
	SHLQ CX, BX
	DECQ BX
	XORQ R13, R13

leafSlot:
	CMPQ R13, R12
	JGE leafDone
	// Z26: the slot's bit; Z27: the index mask, the leaf's less the bit.
	MOVQ R13, CX
	MOVQ $1, DX
	SHLQ CX, DX
	VPBROADCASTQ DX, Z26
	NOTQ DX
	ANDQ BX, DX
	VPBROADCASTQ DX, Z27
	VBROADCASTSD 0(R11), Z28
	VBROADCASTSD 8(R11), Z29
	// AX: the column's contributions, phi + feat*n.
	MOVLQSX 16(R11), AX
	IMULQ n+56(FP), AX
	SHLQ $3, AX
	ADDQ R8, AX
	MOVQ R10, SI
	XORQ CX, CX
	CMPQ R12, $4
	JLE leafRows4
	CMPQ R12, $5
	JEQ leafRows5
	JMP leafRows6

leafRows4:
	CMPQ CX, R9
	JGE leafTail4
	VPMOVZXDQ (SI), Z0
	VPTESTMQ Z26, Z0, K1
	VPANDQ Z27, Z0, Z1
	VMOVAPD Z16, Z2
	VPERMT2PD Z17, Z1, Z2
	VBLENDMPD Z29, Z28, K1, Z6
	VMULPD Z2, Z6, Z6
	VADDPD (AX), Z6, Z6
	VMOVUPD Z6, (AX)
	ADDQ $32, SI
	ADDQ $64, AX
	ADDQ $8, CX
	JMP leafRows4

leafTail4:
	KORTESTW K3, K3
	JEQ leafNext
	VPMOVZXDQ.Z (SI), K3, Z0
	VPTESTMQ Z26, Z0, K1
	VPANDQ Z27, Z0, Z1
	VMOVAPD Z16, Z2
	VPERMT2PD Z17, Z1, Z2
	VBLENDMPD Z29, Z28, K1, Z6
	VMULPD Z2, Z6, Z6
	VMOVUPD.Z (AX), K3, Z7
	VADDPD Z7, Z6, Z6
	VMOVUPD Z6, K3, (AX)
	JMP leafNext

leafRows5:
	CMPQ CX, R9
	JGE leafTail5
	VPMOVZXDQ (SI), Z0
	VPTESTMQ Z26, Z0, K1
	VPANDQ Z27, Z0, Z1
	VMOVAPD Z16, Z2
	VPERMT2PD Z17, Z1, Z2
	VMOVAPD Z18, Z3
	VPERMT2PD Z19, Z1, Z3
	VPTESTMQ Z24, Z1, K5
	VBLENDMPD Z3, Z2, K5, Z2
	VBLENDMPD Z29, Z28, K1, Z6
	VMULPD Z2, Z6, Z6
	VADDPD (AX), Z6, Z6
	VMOVUPD Z6, (AX)
	ADDQ $32, SI
	ADDQ $64, AX
	ADDQ $8, CX
	JMP leafRows5

leafTail5:
	KORTESTW K3, K3
	JEQ leafNext
	VPMOVZXDQ.Z (SI), K3, Z0
	VPTESTMQ Z26, Z0, K1
	VPANDQ Z27, Z0, Z1
	VMOVAPD Z16, Z2
	VPERMT2PD Z17, Z1, Z2
	VMOVAPD Z18, Z3
	VPERMT2PD Z19, Z1, Z3
	VPTESTMQ Z24, Z1, K5
	VBLENDMPD Z3, Z2, K5, Z2
	VBLENDMPD Z29, Z28, K1, Z6
	VMULPD Z2, Z6, Z6
	VMOVUPD.Z (AX), K3, Z7
	VADDPD Z7, Z6, Z6
	VMOVUPD Z6, K3, (AX)
	JMP leafNext

leafRows6:
	CMPQ CX, R9
	JGE leafTail6
	VPMOVZXDQ (SI), Z0
	VPTESTMQ Z26, Z0, K1
	VPANDQ Z27, Z0, Z1
	VMOVAPD Z16, Z2
	VPERMT2PD Z17, Z1, Z2
	VMOVAPD Z18, Z3
	VPERMT2PD Z19, Z1, Z3
	VMOVAPD Z20, Z4
	VPERMT2PD Z21, Z1, Z4
	VMOVAPD Z22, Z5
	VPERMT2PD Z23, Z1, Z5
	VPTESTMQ Z24, Z1, K5
	VPTESTMQ Z25, Z1, K6
	VBLENDMPD Z3, Z2, K5, Z2
	VBLENDMPD Z5, Z4, K5, Z4
	VBLENDMPD Z4, Z2, K6, Z2
	VBLENDMPD Z29, Z28, K1, Z6
	VMULPD Z2, Z6, Z6
	VADDPD (AX), Z6, Z6
	VMOVUPD Z6, (AX)
	ADDQ $32, SI
	ADDQ $64, AX
	ADDQ $8, CX
	JMP leafRows6

leafTail6:
	KORTESTW K3, K3
	JEQ leafNext
	VPMOVZXDQ.Z (SI), K3, Z0
	VPTESTMQ Z26, Z0, K1
	VPANDQ Z27, Z0, Z1
	VMOVAPD Z16, Z2
	VPERMT2PD Z17, Z1, Z2
	VMOVAPD Z18, Z3
	VPERMT2PD Z19, Z1, Z3
	VMOVAPD Z20, Z4
	VPERMT2PD Z21, Z1, Z4
	VMOVAPD Z22, Z5
	VPERMT2PD Z23, Z1, Z5
	VPTESTMQ Z24, Z1, K5
	VPTESTMQ Z25, Z1, K6
	VBLENDMPD Z3, Z2, K5, Z2
	VBLENDMPD Z5, Z4, K5, Z4
	VBLENDMPD Z4, Z2, K6, Z2
	VBLENDMPD Z29, Z28, K1, Z6
	VMULPD Z2, Z6, Z6
	VMOVUPD.Z (AX), K3, Z7
	VADDPD Z7, Z6, Z6
	VMOVUPD Z6, K3, (AX)
	JMP leafNext

leafNext:
	INCQ R13
	ADDQ $24, R11
	JMP leafSlot

leafDone:
	VZEROUPPER
	RET

// func splitPatternsAVX512(l, rt, p *uint32, k *uint64, n int, bit uint32, miss, key uint64)
//
// For r < n, with right = k[r]-miss > key (unsigned): l[r] = p[r] without
// bit where right, else p[r]; rt[r] = p[r] without bit where not right,
// else p[r].
TEXT ·splitPatternsAVX512(SB), NOSPLIT, $0-64
	MOVQ l+0(FP), AX
	MOVQ rt+8(FP), BX
	MOVQ p+16(FP), SI
	MOVQ k+24(FP), DI
	MOVQ n+32(FP), CX
	MOVL bit+40(FP), DX
	VPBROADCASTD DX, Y2
	VPBROADCASTQ miss+48(FP), Z3
	VPBROADCASTQ key+56(FP), Z4

split8:
	CMPQ CX, $8
	JLT splitTail
	VMOVDQU64 (DI), Z0
	VPSUBQ Z3, Z0, Z0
	VPCMPUQ $6, Z4, Z0, K1
	VMOVDQU (SI), Y5
	VPANDN Y5, Y2, Y6
	VPBLENDMD Y6, Y5, K1, Y7
	VPBLENDMD Y5, Y6, K1, Y8
	VMOVDQU Y7, (AX)
	VMOVDQU Y8, (BX)
	ADDQ $64, DI
	ADDQ $32, SI
	ADDQ $32, AX
	ADDQ $32, BX
	SUBQ $8, CX
	JMP split8

splitTail:
	TESTQ CX, CX
	JEQ splitDone
	MOVL $1, DX
	SHLL CX, DX
	DECL DX
	KMOVW DX, K3
	VMOVDQU64.Z (DI), K3, Z0
	VPSUBQ Z3, Z0, Z0
	VPCMPUQ $6, Z4, Z0, K1
	VMOVDQU32.Z (SI), K3, Y5
	VPANDN Y5, Y2, Y6
	VPBLENDMD Y6, Y5, K1, Y7
	VPBLENDMD Y5, Y6, K1, Y8
	VMOVDQU32 Y7, K3, (AX)
	VMOVDQU32 Y8, K3, (BX)

splitDone:
	VZEROUPPER
	RET
