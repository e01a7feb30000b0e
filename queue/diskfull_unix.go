//go:build !windows

package queue

import (
	"errors"
	"syscall"
)

func diskFullErrno(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
