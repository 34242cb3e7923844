package store

import (
	"crypto/md5"
	"encoding/hex"
	"testing"

	"gocloud.dev/blob"
)

// TestListingChecksum: GCS's MD5 is recorded as md5:HEX and nothing else
// is taken from the MD5 field, which fileblob may fill and S3's driver
// guesses from the ETag (S3's own test, through gofakes3, is in data's
// TestChecksumsFromS3).
func TestListingChecksum(t *testing.T) {
	sum := md5.Sum([]byte("parquet"))
	for _, c := range []struct {
		scheme string
		md5    []byte
		want   string
	}{
		{"gs", sum[:], "md5:" + hex.EncodeToString(sum[:])},
		{"gs", nil, ""},      // a composed object: no MD5
		{"gs", sum[:4], ""},  // not an MD5
		{"file", sum[:], ""}, // fileblob: only for what it wrote itself
		{"s3", sum[:], ""},   // no ETag to be had from this object
		{"", sum[:], ""},     // a local folder
	} {
		s := &Store{scheme: c.scheme}
		if got := s.listedChecksum(&blob.ListObject{Key: "k", MD5: c.md5}); got != c.want {
			t.Errorf("%s with MD5 %x: checksum %q, want %q", c.scheme, c.md5, got, c.want)
		}
	}
}
