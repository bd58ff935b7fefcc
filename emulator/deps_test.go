package emulator_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The core imports no HTTP, YAML or GUI code (docs/architecture.md).
func TestCoreImportsNoFrontEnd(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/phonesim/phonesim/emulator").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"net/http", "ebiten", "yaml", "html/template"} {
			if strings.Contains(dep, banned) {
				t.Errorf("emulator depends on %s", dep)
			}
		}
	}
}
