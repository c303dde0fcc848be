// Copyright 2011 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package gateway

// A local 3DES, measured against crypto/des (issue 9: "measure a
// table-driven or batched 3DES against crypto/des on the same blocks; keep
// crypto/des unless ≥ 3× faster"). It is crypto/des's own table-driven
// algorithm (block.go, const.go of Go 1.26, BSD licence above) with the
// message done in one batched loop: no cipher.Block interface call, no
// per-block checks, the three key schedules in local arrays. Test-only: it
// exists to be measured (Benchmark3DES_Local) and checked against
// crypto/des (FuzzLocal3DES), not shipped.

import (
	"bytes"
	"crypto/des"
	"encoding/binary"
	"sync"
	"testing"
	"time"
)

type ldes_desCipher struct {
	subkeys [16]uint64
}

// local3DES is the batched ECB of §2.1 over whole blocks, in place.
type local3DES struct{ c1, c2, c3 ldes_desCipher }

func newLocal3DES(key []byte) *local3DES {
	t := new(local3DES)
	t.c1.ldes_generateSubkeys(key[:8])
	t.c2.ldes_generateSubkeys(key[8:16])
	t.c3.ldes_generateSubkeys(key[16:24])
	return t
}

func (t *local3DES) encryptECB(buf []byte) {
	k1, k2, k3 := &t.c1.subkeys, &t.c2.subkeys, &t.c3.subkeys
	for off := 0; off+8 <= len(buf); off += 8 {
		b := ldes_permuteInitialBlock(binary.BigEndian.Uint64(buf[off:]))
		left, right := uint32(b>>32), uint32(b)
		left = (left << 1) | (left >> 31)
		right = (right << 1) | (right >> 31)
		for i := 0; i < 8; i++ {
			left, right = ldes_feistel(left, right, k1[2*i], k1[2*i+1])
		}
		for i := 0; i < 8; i++ {
			right, left = ldes_feistel(right, left, k2[15-2*i], k2[15-(2*i+1)])
		}
		for i := 0; i < 8; i++ {
			left, right = ldes_feistel(left, right, k3[2*i], k3[2*i+1])
		}
		left = (left << 31) | (left >> 1)
		right = (right << 31) | (right >> 1)
		binary.BigEndian.PutUint64(buf[off:], ldes_permuteFinalBlock((uint64(right)<<32)|uint64(left)))
	}
}

func (t *local3DES) decryptECB(buf []byte) {
	k1, k2, k3 := &t.c1.subkeys, &t.c2.subkeys, &t.c3.subkeys
	for off := 0; off+8 <= len(buf); off += 8 {
		b := ldes_permuteInitialBlock(binary.BigEndian.Uint64(buf[off:]))
		left, right := uint32(b>>32), uint32(b)
		left = (left << 1) | (left >> 31)
		right = (right << 1) | (right >> 31)
		for i := 0; i < 8; i++ {
			left, right = ldes_feistel(left, right, k3[15-2*i], k3[15-(2*i+1)])
		}
		for i := 0; i < 8; i++ {
			right, left = ldes_feistel(right, left, k2[2*i], k2[2*i+1])
		}
		for i := 0; i < 8; i++ {
			left, right = ldes_feistel(left, right, k1[15-2*i], k1[15-(2*i+1)])
		}
		left = (left << 31) | (left >> 1)
		right = (right << 31) | (right >> 1)
		binary.BigEndian.PutUint64(buf[off:], ldes_permuteFinalBlock((uint64(right)<<32)|uint64(left)))
	}
}

func ldes_cryptBlock(subkeys []uint64, dst, src []byte, decrypt bool) {
	b := binary.BigEndian.Uint64(src)
	b = ldes_permuteInitialBlock(b)
	left, right := uint32(b>>32), uint32(b)

	left = (left << 1) | (left >> 31)
	right = (right << 1) | (right >> 31)

	if decrypt {
		for i := 0; i < 8; i++ {
			left, right = ldes_feistel(left, right, subkeys[15-2*i], subkeys[15-(2*i+1)])
		}
	} else {
		for i := 0; i < 8; i++ {
			left, right = ldes_feistel(left, right, subkeys[2*i], subkeys[2*i+1])
		}
	}

	left = (left << 31) | (left >> 1)
	right = (right << 31) | (right >> 1)

	// switch left & right and perform final permutation
	preOutput := (uint64(right) << 32) | uint64(left)
	binary.BigEndian.PutUint64(dst, ldes_permuteFinalBlock(preOutput))
}

// DES Feistel function. ldes_feistelBox must be initialized via
// ldes_feistelBoxOnce.Do(ldes_initFeistelBox) first.
func ldes_feistel(l, r uint32, k0, k1 uint64) (lout, rout uint32) {
	var t uint32

	t = r ^ uint32(k0>>32)
	l ^= ldes_feistelBox[7][t&0x3f] ^
		ldes_feistelBox[5][(t>>8)&0x3f] ^
		ldes_feistelBox[3][(t>>16)&0x3f] ^
		ldes_feistelBox[1][(t>>24)&0x3f]

	t = ((r << 28) | (r >> 4)) ^ uint32(k0)
	l ^= ldes_feistelBox[6][(t)&0x3f] ^
		ldes_feistelBox[4][(t>>8)&0x3f] ^
		ldes_feistelBox[2][(t>>16)&0x3f] ^
		ldes_feistelBox[0][(t>>24)&0x3f]

	t = l ^ uint32(k1>>32)
	r ^= ldes_feistelBox[7][t&0x3f] ^
		ldes_feistelBox[5][(t>>8)&0x3f] ^
		ldes_feistelBox[3][(t>>16)&0x3f] ^
		ldes_feistelBox[1][(t>>24)&0x3f]

	t = ((l << 28) | (l >> 4)) ^ uint32(k1)
	r ^= ldes_feistelBox[6][(t)&0x3f] ^
		ldes_feistelBox[4][(t>>8)&0x3f] ^
		ldes_feistelBox[2][(t>>16)&0x3f] ^
		ldes_feistelBox[0][(t>>24)&0x3f]

	return l, r
}

// ldes_feistelBox[s][16*i+j] contains the output of ldes_permutationFunction
// for ldes_sBoxes[s][i][j] << 4*(7-s)
var ldes_feistelBox [8][64]uint32

var ldes_feistelBoxOnce sync.Once

// general purpose function to perform DES block permutations.
func ldes_permuteBlock(src uint64, permutation []uint8) (block uint64) {
	for position, n := range permutation {
		bit := (src >> n) & 1
		block |= bit << uint((len(permutation)-1)-position)
	}
	return
}

func ldes_initFeistelBox() {
	for s := range ldes_sBoxes {
		for i := 0; i < 4; i++ {
			for j := 0; j < 16; j++ {
				f := uint64(ldes_sBoxes[s][i][j]) << (4 * (7 - uint(s)))
				f = ldes_permuteBlock(f, ldes_permutationFunction[:])

				// Row is determined by the 1st and 6th bit.
				// Column is the middle four bits.
				row := uint8(((i & 2) << 4) | i&1)
				col := uint8(j << 1)
				t := row | col

				// The rotation was performed in the ldes_feistel rounds, being factored out and now mixed into the ldes_feistelBox.
				f = (f << 1) | (f >> 31)

				ldes_feistelBox[s][t] = uint32(f)
			}
		}
	}
}

// ldes_permuteInitialBlock is equivalent to the permutation defined
// by ldes_initialPermutation.
func ldes_permuteInitialBlock(block uint64) uint64 {
	// block = b7 b6 b5 b4 b3 b2 b1 b0 (8 bytes)
	b1 := block >> 48
	b2 := block << 48
	block ^= b1 ^ b2 ^ b1<<48 ^ b2>>48

	// block = b1 b0 b5 b4 b3 b2 b7 b6
	b1 = block >> 32 & 0xff00ff
	b2 = (block & 0xff00ff00)
	block ^= b1<<32 ^ b2 ^ b1<<8 ^ b2<<24 // exchange b0 b4 with b3 b7

	// block is now b1 b3 b5 b7 b0 b2 b4 b6, the permutation:
	//                  ...  8
	//                  ... 24
	//                  ... 40
	//                  ... 56
	//  7  6  5  4  3  2  1  0
	// 23 22 21 20 19 18 17 16
	//                  ... 32
	//                  ... 48

	// exchange 4,5,6,7 with 32,33,34,35 etc.
	b1 = block & 0x0f0f00000f0f0000
	b2 = block & 0x0000f0f00000f0f0
	block ^= b1 ^ b2 ^ b1>>12 ^ b2<<12

	// block is the permutation:
	//
	//   [+8]         [+40]
	//
	//  7  6  5  4
	// 23 22 21 20
	//  3  2  1  0
	// 19 18 17 16    [+32]

	// exchange 0,1,4,5 with 18,19,22,23
	b1 = block & 0x3300330033003300
	b2 = block & 0x00cc00cc00cc00cc
	block ^= b1 ^ b2 ^ b1>>6 ^ b2<<6

	// block is the permutation:
	// 15 14
	// 13 12
	// 11 10
	//  9  8
	//  7  6
	//  5  4
	//  3  2
	//  1  0 [+16] [+32] [+64]

	// exchange 0,2,4,6 with 9,11,13,15:
	b1 = block & 0xaaaaaaaa55555555
	block ^= b1 ^ b1>>33 ^ b1<<33

	// block is the permutation:
	// 6 14 22 30 38 46 54 62
	// 4 12 20 28 36 44 52 60
	// 2 10 18 26 34 42 50 58
	// 0  8 16 24 32 40 48 56
	// 7 15 23 31 39 47 55 63
	// 5 13 21 29 37 45 53 61
	// 3 11 19 27 35 43 51 59
	// 1  9 17 25 33 41 49 57
	return block
}

// ldes_permuteFinalBlock is equivalent to the permutation defined
// by ldes_finalPermutation.
func ldes_permuteFinalBlock(block uint64) uint64 {
	// Perform the same bit exchanges as ldes_permuteInitialBlock
	// but in reverse order.
	b1 := block & 0xaaaaaaaa55555555
	block ^= b1 ^ b1>>33 ^ b1<<33

	b1 = block & 0x3300330033003300
	b2 := block & 0x00cc00cc00cc00cc
	block ^= b1 ^ b2 ^ b1>>6 ^ b2<<6

	b1 = block & 0x0f0f00000f0f0000
	b2 = block & 0x0000f0f00000f0f0
	block ^= b1 ^ b2 ^ b1>>12 ^ b2<<12

	b1 = block >> 32 & 0xff00ff
	b2 = (block & 0xff00ff00)
	block ^= b1<<32 ^ b2 ^ b1<<8 ^ b2<<24

	b1 = block >> 48
	b2 = block << 48
	block ^= b1 ^ b2 ^ b1<<48 ^ b2>>48
	return block
}

// creates 16 28-bit blocks rotated according
// to the rotation schedule.
func ldes_ksRotate(in uint32) (out []uint32) {
	out = make([]uint32, 16)
	last := in
	for i := 0; i < 16; i++ {
		// 28-bit circular left shift
		left := (last << (4 + ldes_ksRotations[i])) >> 4
		right := (last << 4) >> (32 - ldes_ksRotations[i])
		out[i] = left | right
		last = out[i]
	}
	return
}

// creates 16 56-bit subkeys from the original key.
func (c *ldes_desCipher) ldes_generateSubkeys(keyBytes []byte) {
	ldes_feistelBoxOnce.Do(ldes_initFeistelBox)

	// apply PC1 permutation to key
	key := binary.BigEndian.Uint64(keyBytes)
	permutedKey := ldes_permuteBlock(key, ldes_permutedChoice1[:])

	// rotate halves of permuted key according to the rotation schedule
	leftRotations := ldes_ksRotate(uint32(permutedKey >> 28))
	rightRotations := ldes_ksRotate(uint32(permutedKey<<4) >> 4)

	// generate subkeys
	for i := 0; i < 16; i++ {
		// combine halves to form 56-bit input to PC2
		pc2Input := uint64(leftRotations[i])<<28 | uint64(rightRotations[i])
		// apply PC2 permutation to 7 byte input
		c.subkeys[i] = ldes_unpack(ldes_permuteBlock(pc2Input, ldes_permutedChoice2[:]))
	}
}

// Expand 48-bit input to 64-bit, with each 6-bit block padded by extra two bits at the top.
// By doing so, we can have the input blocks (four bits each), and the key blocks (six bits each) well-aligned without
// extra shifts/rotations for alignments.
func ldes_unpack(x uint64) uint64 {
	return ((x>>(6*1))&0xff)<<(8*0) |
		((x>>(6*3))&0xff)<<(8*1) |
		((x>>(6*5))&0xff)<<(8*2) |
		((x>>(6*7))&0xff)<<(8*3) |
		((x>>(6*0))&0xff)<<(8*4) |
		((x>>(6*2))&0xff)<<(8*5) |
		((x>>(6*4))&0xff)<<(8*6) |
		((x>>(6*6))&0xff)<<(8*7)
}

// Used to perform an initial permutation of a 64-bit input block.
var ldes_initialPermutation = [64]byte{
	6, 14, 22, 30, 38, 46, 54, 62,
	4, 12, 20, 28, 36, 44, 52, 60,
	2, 10, 18, 26, 34, 42, 50, 58,
	0, 8, 16, 24, 32, 40, 48, 56,
	7, 15, 23, 31, 39, 47, 55, 63,
	5, 13, 21, 29, 37, 45, 53, 61,
	3, 11, 19, 27, 35, 43, 51, 59,
	1, 9, 17, 25, 33, 41, 49, 57,
}

// Used to perform a final permutation of a 4-bit preoutput block. This is the
// inverse of ldes_initialPermutation
var ldes_finalPermutation = [64]byte{
	24, 56, 16, 48, 8, 40, 0, 32,
	25, 57, 17, 49, 9, 41, 1, 33,
	26, 58, 18, 50, 10, 42, 2, 34,
	27, 59, 19, 51, 11, 43, 3, 35,
	28, 60, 20, 52, 12, 44, 4, 36,
	29, 61, 21, 53, 13, 45, 5, 37,
	30, 62, 22, 54, 14, 46, 6, 38,
	31, 63, 23, 55, 15, 47, 7, 39,
}

// Used to expand an input block of 32 bits, producing an output block of 48
// bits.
var ldes_expansionFunction = [48]byte{
	0, 31, 30, 29, 28, 27, 28, 27,
	26, 25, 24, 23, 24, 23, 22, 21,
	20, 19, 20, 19, 18, 17, 16, 15,
	16, 15, 14, 13, 12, 11, 12, 11,
	10, 9, 8, 7, 8, 7, 6, 5,
	4, 3, 4, 3, 2, 1, 0, 31,
}

// Yields a 32-bit output from a 32-bit input
var ldes_permutationFunction = [32]byte{
	16, 25, 12, 11, 3, 20, 4, 15,
	31, 17, 9, 6, 27, 14, 1, 22,
	30, 24, 8, 18, 0, 5, 29, 23,
	13, 19, 2, 26, 10, 21, 28, 7,
}

// Used in the key schedule to select 56 bits
// from a 64-bit input.
var ldes_permutedChoice1 = [56]byte{
	7, 15, 23, 31, 39, 47, 55, 63,
	6, 14, 22, 30, 38, 46, 54, 62,
	5, 13, 21, 29, 37, 45, 53, 61,
	4, 12, 20, 28, 1, 9, 17, 25,
	33, 41, 49, 57, 2, 10, 18, 26,
	34, 42, 50, 58, 3, 11, 19, 27,
	35, 43, 51, 59, 36, 44, 52, 60,
}

// Used in the key schedule to produce each subkey by selecting 48 bits from
// the 56-bit input
var ldes_permutedChoice2 = [48]byte{
	42, 39, 45, 32, 55, 51, 53, 28,
	41, 50, 35, 46, 33, 37, 44, 52,
	30, 48, 40, 49, 29, 36, 43, 54,
	15, 4, 25, 19, 9, 1, 26, 16,
	5, 11, 23, 8, 12, 7, 17, 0,
	22, 3, 10, 14, 6, 20, 27, 24,
}

// 8 S-boxes composed of 4 rows and 16 columns
// Used in the DES cipher function
var ldes_sBoxes = [8][4][16]uint8{
	// S-box 1
	{
		{14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7},
		{0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8},
		{4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0},
		{15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13},
	},
	// S-box 2
	{
		{15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10},
		{3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5},
		{0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15},
		{13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9},
	},
	// S-box 3
	{
		{10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8},
		{13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1},
		{13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7},
		{1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12},
	},
	// S-box 4
	{
		{7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15},
		{13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9},
		{10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4},
		{3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14},
	},
	// S-box 5
	{
		{2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9},
		{14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6},
		{4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14},
		{11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3},
	},
	// S-box 6
	{
		{12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11},
		{10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8},
		{9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6},
		{4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13},
	},
	// S-box 7
	{
		{4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1},
		{13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6},
		{1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2},
		{6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12},
	},
	// S-box 8
	{
		{13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7},
		{1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2},
		{7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8},
		{2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11},
	},
}

// Size of left rotation per round in each half of the key schedule
var ldes_ksRotations = [16]uint8{1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1}

// FuzzLocal3DES: the local 3DES gives crypto/des's bytes for every key and
// message, both ways.
func FuzzLocal3DES(f *testing.F) {
	f.Add([]byte(testSecret), []byte(fixturePay))
	f.Add([]byte("012345678901234567890123"), []byte("12345678"))
	f.Fuzz(func(t *testing.T, key, msg []byte) {
		if len(key) < 24 {
			return
		}
		key = key[:24]
		msg = msg[:len(msg)/8*8]
		ref, err := des.NewTripleDESCipher(key)
		if err != nil {
			t.Fatal(err)
		}
		want := append([]byte(nil), msg...)
		ecb(ref, want, ref.Encrypt)
		got := append([]byte(nil), msg...)
		loc := newLocal3DES(key)
		loc.encryptECB(got)
		if !bytes.Equal(got, want) {
			t.Fatalf("encrypt differs: %x vs %x", got, want)
		}
		loc.decryptECB(got)
		if !bytes.Equal(got, msg) {
			t.Fatalf("decrypt does not give the message back")
		}
	})
}

// Benchmark3DES_Local: the local batched 3DES against crypto/des (one
// cipher each, made once) on the same blocks, encrypt then decrypt,
// interleaved. "x-crypto-des" is local/crypto-des: crypto/des would be
// replaced only below 0.33 (≥ 3× faster).
func Benchmark3DES_Local(b *testing.B) {
	key := tripleDESKey(testSecret)
	msg := []byte(fixturePay)
	msg = msg[:len(msg)/8*8]
	ref, _ := des.NewTripleDESCipher(key)
	loc := newLocal3DES(key)
	buf := make([]byte, len(msg))
	var stdT, locT time.Duration
	for i := 0; i < b.N; i++ {
		copy(buf, msg)
		t0 := time.Now()
		ecb(ref, buf, ref.Encrypt)
		ecb(ref, buf, ref.Decrypt)
		t1 := time.Now()
		loc.encryptECB(buf)
		loc.decryptECB(buf)
		stdT += t1.Sub(t0)
		locT += time.Since(t1)
	}
	b.ReportMetric(float64(locT)/float64(stdT), "x-crypto-des")
	b.ReportMetric(float64(stdT.Nanoseconds())/float64(b.N), "crypto-des-ns/op")
	b.ReportMetric(float64(locT.Nanoseconds())/float64(b.N), "local-ns/op")
	b.ReportMetric(float64(len(msg)/8), "blocks")
}
