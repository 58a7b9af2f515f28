//go:build !unix

package driver

import (
	"fmt"
	"os"
)

// openNoFollow opens path for reading, refusing a symlink or anything
// else that is not a regular file, as far as Lstat can tell beforehand.
func openNoFollow(path string) (*os.File, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%v)", path, fi.Mode().Type())
	}
	return os.Open(path)
}
