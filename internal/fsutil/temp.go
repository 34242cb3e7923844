package fsutil

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// tries bounds the names tried before giving up on a folder full of
// collisions.
const tries = 10000

// CreateTemp creates and opens for reading and writing a new file in dir
// whose name is prefix followed by a random string, with mode 0666 less
// the umask. The caller removes or renames it.
func CreateTemp(dir, prefix string) (*os.File, error) {
	for range tries {
		name := filepath.Join(dir, prefix+suffix())
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, &fs.PathError{Op: "createtemp", Path: filepath.Join(dir, prefix+"*"), Err: fs.ErrExist}
}

// MkdirTemp creates a new folder in dir whose name is prefix followed by a
// random string, with mode 0777 less the umask, and returns its path.
func MkdirTemp(dir, prefix string) (string, error) {
	for range tries {
		name := filepath.Join(dir, prefix+suffix())
		err := os.Mkdir(name, 0o777)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		return name, nil
	}
	return "", &fs.PathError{Op: "mkdirtemp", Path: filepath.Join(dir, prefix+"*"), Err: fs.ErrExist}
}

func suffix() string { return strconv.FormatUint(rand.Uint64(), 36) }
