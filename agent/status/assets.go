package status

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"time"
)

//go:embed assets
var assetFS embed.FS

// asset is one embedded file served under /assets/.
type asset struct {
	body        []byte
	contentType string
	etag        string
	modTime     time.Time
}

// assetSet holds the parsed page templates and the static files.
type assetSet struct {
	page  *template.Template
	login *template.Template
	files map[string]asset
}

// pageData fills the page template.
type pageData struct {
	HeartbeatMS int64 // the page counts the data as stale after a few heartbeats without a message
}

// loginData fills the login template.
type loginData struct {
	Problem string // "", "wrong", "tries" or "form"
}

// contentTypes are fixed here rather than read from the system's MIME table,
// which differs between machines.
var contentTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".svg": "image/svg+xml",
}

func loadAssets() (*assetSet, error) {
	page, err := template.ParseFS(assetFS, "assets/index.html")
	if err != nil {
		return nil, fmt.Errorf("page template: %w", err)
	}
	login, err := template.ParseFS(assetFS, "assets/login.html")
	if err != nil {
		return nil, fmt.Errorf("login template: %w", err)
	}
	files := make(map[string]asset)
	static, err := fs.Sub(assetFS, "assets/static")
	if err != nil {
		return nil, fmt.Errorf("assets: %w", err)
	}
	entries, err := fs.ReadDir(static, ".")
	if err != nil {
		return nil, fmt.Errorf("assets: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := fs.ReadFile(static, e.Name())
		if err != nil {
			return nil, fmt.Errorf("asset %s: %w", e.Name(), err)
		}
		ct, ok := contentTypes[path.Ext(e.Name())]
		if !ok {
			return nil, fmt.Errorf("asset %s: no content type for its extension", e.Name())
		}
		sum := sha256.Sum256(b)
		files[e.Name()] = asset{
			body:        b,
			contentType: ct,
			etag:        `"` + hex.EncodeToString(sum[:12]) + `"`,
		}
	}
	return &assetSet{page: page, login: login, files: files}, nil
}
