//go:build gui

package e2e

import (
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/phonesim/phonesim/gui/layout"
	"github.com/phonesim/phonesim/internal/lockedbuf"
	"github.com/phonesim/phonesim/keypad"
)

// The banner as gui/banner.go draws it at scale 1: a strip 46 px high
// across the bottom of the window, with a 30 px status box 8 px in.
const (
	bannerH   = 46
	bannerPad = 8
	bannerBox = 30
)

var (
	colBannerStrip = color.RGBA{0x2b, 0x2e, 0x34, 0xff} // gui colConsoleHdr
	colPassed      = color.RGBA{0x1a, 0x7f, 0x37, 0xff} // gui colOK
	colFailed      = color.RGBA{0xcf, 0x22, 0x2e, 0xff} // gui colErr
	colWaiting     = color.RGBA{0xff, 0xb0, 0x20, 0xff} // gui colAmber
)

// scenarioRun is one `phonesim-gui scenario ...`, run from the module's
// root so that file names read as a user types them.
type scenarioRun struct {
	cmd    *exec.Cmd
	dir    string
	stdout *lockedbuf.Buffer
	stderr *lockedbuf.Buffer
	exited chan error
}

func startScenario(t *testing.T, stdin io.Reader, args ...string) *scenarioRun {
	t.Helper()
	disp := display(t)
	bin := binary(t)
	r := &scenarioRun{dir: t.TempDir(), stdout: &lockedbuf.Buffer{}, stderr: &lockedbuf.Buffer{}, exited: make(chan error, 1)}
	r.cmd = exec.Command(bin, append([]string{"scenario", "--no-sound", "--scale", "1"}, args...)...)
	r.cmd.Dir = filepath.Join("..", "..")
	r.cmd.Env = append(os.Environ(), "DISPLAY="+disp)
	r.cmd.Stdin, r.cmd.Stdout, r.cmd.Stderr = stdin, r.stdout, r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.exited <- r.cmd.Wait() }()
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			_ = r.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-r.exited:
			case <-time.After(20 * time.Second):
				_ = r.cmd.Process.Kill()
				<-r.exited
			}
		}
		if t.Failed() {
			t.Logf("stdout:\n%s\nstderr:\n%s", r.stdout.String(), r.stderr.String())
		}
	})
	return r
}

// wait returns the exit code.
func (r *scenarioRun) wait(t *testing.T) int {
	t.Helper()
	select {
	case err := <-r.exited:
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0
		case errors.As(err, &ee):
			return ee.ExitCode()
		}
		t.Fatal(err)
	case <-time.After(90 * time.Second):
		t.Fatal("phonesim-gui scenario still running after 90 s")
	}
	return -1
}

func readPNG(t *testing.T, path string) *image.RGBA {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	rgba := image.NewRGBA(img.Bounds())
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			rgba.Set(x, y, img.At(x, y))
		}
	}
	return rgba
}

// checkBanner asserts the banner strip across the bottom of img and the
// colour of its status box.
func checkBanner(t *testing.T, img *image.RGBA, box color.RGBA, what string) {
	t.Helper()
	b := img.Bounds()
	y := b.Max.Y - bannerH/2
	if c := img.RGBAAt(b.Max.X-3, y); far(c, colBannerStrip) {
		t.Errorf("no banner across the bottom: pixel (%d,%d) is %v, want %v", b.Max.X-3, y, c, colBannerStrip)
	}
	if c := img.RGBAAt(bannerPad+bannerBox/2, y); far(c, box) {
		t.Errorf("banner's status box is %v, want %v (%s)", c, box, what)
	}
}

// bannerTitle is the banner's first line, where the step is written.
func bannerTitle(img *image.RGBA) layout.Rect {
	b := img.Bounds()
	x := float64(2*bannerPad + bannerBox)
	return layout.Rect{X: x, Y: float64(b.Max.Y - bannerH + 4), W: float64(b.Max.X) - x, H: 20}
}

// The example runs in the window over the runner's own phones
// and ends with exit 0 and the verdict (PASS, a green box) in the banner.
func TestScenarioShownAndPassed(t *testing.T) {
	shot := filepath.Join(t.TempDir(), "end.png")
	r := startScenario(t, nil, "--hold", "0", "--screenshot", shot, "scenarios/basic_call.yaml")
	if code := r.wait(t); code != 0 {
		t.Fatalf("exit %d, want 0", code)
	}
	for _, want := range []string{"ok   scenarios/basic_call.yaml:11 bob (1002) should send Terminated", "--- PASS inbound call answered by the CTI", "screenshot written to " + shot} {
		if !strings.Contains(r.stdout.String(), want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	img := readPNG(t, shot)
	checkBanner(t, img, colPassed, "passed")
	// The phones are drawn above the banner, the picture centred in the
	// window made taller by the banner's height: alice's green line lamp.
	phones := image.NewRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()-bannerH))
	draw.Draw(phones, phones.Bounds(), img, image.Pt(0, bannerH/2), draw.Src)
	if c := lampAt(phones, 0, keypad.L1); !isGreen(c) {
		t.Errorf("alice's L1 lamp above the banner is %v, want green (registered)", c)
	}
}

// With --step the banner shows the step waiting for Enter (an amber box)
// while the flow waits; each Enter moves it on to the next step, whose
// words replace the last ones; the run then ends as usual.
func TestScenarioStepBannerFollowsTheFlow(t *testing.T) {
	shots := t.TempDir()
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdinR.Close()
	defer stdinW.Close()
	r := startScenario(t, stdinR, "--hold", "0", "--step", "--shots", shots, "scenarios/basic_call.yaml")
	shot := func(n int) *image.RGBA {
		t.Helper()
		if err := r.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(shots, "shot-"+string(rune('0'+n))+".png")
		waitFor(t, path, 15*time.Second, func() bool { _, err := os.Stat(path); return err == nil })
		return readPNG(t, path)
	}
	waitFor(t, "step 1 waiting for Enter", 30*time.Second, func() bool {
		return strings.Contains(r.stdout.String(), "step 1/8: alice (1001) gets an Active URI request")
	})
	first := shot(1)
	checkBanner(t, first, colWaiting, "step 1 waiting for Enter")
	if _, err := stdinW.WriteString("\n"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "step 2 waiting for Enter", 15*time.Second, func() bool {
		return strings.Contains(r.stdout.String(), "step 2/8: bob (1002) should send Incoming Call")
	})
	second := shot(2)
	checkBanner(t, second, colWaiting, "step 2 waiting for Enter")
	if n := changed(first, second, bannerTitle(first)); n < 50 {
		t.Errorf("the banner's title changed in %d pixels from step 1 to step 2, want the new step's words", n)
	}
	stdinW.Close() // no more input: the runner runs on
	if code := r.wait(t); code != 0 {
		t.Fatalf("exit %d, want 0", code)
	}
}

// A scenario expecting an event that does not come exits 1, naming its
// file and line on stderr, with a red box in the banner.
func TestScenarioFailureExits1NamingFileAndLine(t *testing.T) {
	shot := filepath.Join(t.TempDir(), "end.png")
	r := startScenario(t, nil, "--hold", "0", "--screenshot", shot, "scenarios/testdata/wrong_event.yaml")
	if code := r.wait(t); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if want := "scenarios/testdata/wrong_event.yaml:6: bob (1002) should send Missed Call: expected bob: missed_call"; !strings.Contains(r.stderr.String(), want) {
		t.Errorf("stderr lacks %q", want)
	}
	checkBanner(t, readPNG(t, shot), colFailed, "failed")
}

// An invalid file exits 2 with file:line before any window opens; with
// several files each runs in its own window and the worst exit wins.
func TestScenarioInvalidAndSeveralFiles(t *testing.T) {
	r := startScenario(t, nil, "--hold", "0", "scenarios/basic_call.yaml", "scenarios/testdata/bad_event.yaml")
	if code := r.wait(t); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if want := "scenarios/testdata/bad_event.yaml:5: "; !strings.Contains(r.stderr.String(), want) {
		t.Errorf("stderr lacks %q", want)
	}
	if strings.Contains(r.stdout.String(), "===") {
		t.Errorf("a scenario ran despite the invalid file")
	}

	r = startScenario(t, nil, "--hold", "0", "scenarios/basic_call.yaml", "scenarios/testdata/wrong_event.yaml")
	if code := r.wait(t); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(r.stdout.String(), "--- PASS inbound call answered by the CTI") || !strings.Contains(r.stdout.String(), "--- FAIL expects an event that does not come") {
		t.Errorf("both files did not run")
	}
}
