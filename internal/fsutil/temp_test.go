package fsutil

import "testing"

func TestCreateTempUnique(t *testing.T) {
	dir := t.TempDir()
	seen := map[string]bool{}
	for range 200 {
		f, err := CreateTemp(dir, "p")
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		if seen[f.Name()] {
			t.Fatalf("%s made twice", f.Name())
		}
		seen[f.Name()] = true
	}
}
