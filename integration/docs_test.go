package integration

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every test docs/events.md names exists, so the table cannot point at a
// test that was renamed or removed.
func TestEventsDocNamesRealTests(t *testing.T) {
	doc, err := os.ReadFile("../docs/events.md")
	if err != nil {
		t.Fatal(err)
	}
	refs := regexp.MustCompile("`([a-z0-9/]+)\\.((?:Test|Fuzz)[A-Za-z0-9_]+)`").FindAllStringSubmatch(string(doc), -1)
	if len(refs) < 20 {
		t.Fatalf("only %d test references found in docs/events.md", len(refs))
	}
	for _, r := range refs {
		pkg, name := r[1], r[2]
		files, _ := filepath.Glob(filepath.Join("..", pkg, "*_test.go"))
		found := false
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), "func "+name+"(") {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("docs/events.md names %s.%s, which does not exist", pkg, name)
		}
	}
}
