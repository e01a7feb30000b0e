package config

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxSecretFile bounds a file: secret; a bigger file is surely the wrong one.
const maxSecretFile = 64 << 10

// secret reads a secret key: inline text, env:NAME or file:PATH. ok is false
// when the key is absent or its problem has been reported. No message ever
// repeats the secret itself.
func (t *table) secret(key string) (string, bool) {
	v, present := t.m[key]
	if !present {
		return "", false
	}
	raw, isStr := v.(string)
	if !isStr {
		t.wrongType(key, "a string", v)
		return "", false
	}
	switch {
	case strings.HasPrefix(raw, "env:"):
		name := strings.TrimSpace(raw[len("env:"):])
		if name == "" {
			t.errorf(key, "\"env:\" must be followed by the name of an environment variable")
			return "", false
		}
		val, set := t.d.lookupEnv(name)
		if !set {
			t.errorf(key, "environment variable %s is not set", name)
			return "", false
		}
		if strings.TrimSpace(val) == "" {
			t.errorf(key, "environment variable %s is empty", name)
			return "", false
		}
		return val, true
	case strings.HasPrefix(raw, "file:"):
		name := strings.TrimSpace(raw[len("file:"):])
		if name == "" {
			t.errorf(key, "\"file:\" must be followed by the path of a file holding the secret")
			return "", false
		}
		if !filepath.IsAbs(name) {
			name = filepath.Join(t.d.dir, name)
		}
		val, err := readSecretFile(name)
		if err != nil {
			t.errorf(key, "%s", err)
			return "", false
		}
		return val, true
	case strings.TrimSpace(raw) == "":
		t.errorf(key, "must not be empty")
		return "", false
	}
	return raw, true
}

// readSecretFile reads a secret from a file, without its trailing newline.
func readSecretFile(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", fileError(name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", fileError(name, err)
	}
	if len(b) > maxSecretFile {
		return "", errors.New("secret file " + quote(name) + " is larger than 64 KiB")
	}
	s := strings.TrimRight(string(b), "\r\n")
	if strings.TrimSpace(s) == "" {
		return "", errors.New("secret file " + quote(name) + " is empty")
	}
	return s, nil
}

// fileError says why a secret file cannot be read, without repeating the
// path twice as *fs.PathError would.
func fileError(name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return errors.New("cannot read secret file " + quote(name) + ": " + err.Error())
}
