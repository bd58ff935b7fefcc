//go:build gui

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/gui/layout"
	"github.com/phonesim/phonesim/internal/lockedbuf"
	"github.com/phonesim/phonesim/internal/peers"
	"github.com/phonesim/phonesim/keypad"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.png from this run")

// need skips the test when bin is missing, or fails it on CI (CI=true),
// where `make deps` installs it.
func need(t *testing.T, bins ...string) {
	t.Helper()
	for _, bin := range bins {
		if _, err := exec.LookPath(bin); err != nil {
			msg := fmt.Sprintf("%s not installed (Debian: xvfb xauth xdotool; run `sudo make deps`)", bin)
			if v := strings.ToLower(os.Getenv("CI")); v == "true" || v == "1" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
}

// display returns an X display to run the GUI on: $DISPLAY if it answers,
// else a fresh Xvfb (stopped at cleanup) once it answers.
func display(t *testing.T) string {
	t.Helper()
	need(t, "xdotool")
	if d := os.Getenv("DISPLAY"); d != "" && exec.Command("xdotool", "getdisplaygeometry").Run() == nil {
		return d
	}
	need(t, "Xvfb")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	// -displayfd: Xvfb picks a free display number and writes it to fd 3.
	// A key held while the GUI draws a slow frame (see holdDown) must not
	// repeat: autorepeat starts after 10 s, not X's 660 ms.
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1920x1080x24", "-nolisten", "tcp", "-ardelay", "10000")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(r).ReadString('\n')
	r.Close()
	if err != nil {
		t.Fatalf("Xvfb did not say its display: %v", err)
	}
	d := ":" + strings.TrimSpace(line)
	waitFor(t, "Xvfb to answer", 10*time.Second, func() bool {
		c := exec.Command("xdotool", "getdisplaygeometry")
		c.Env = append(os.Environ(), "DISPLAY="+d)
		return c.Run() == nil
	})
	return d
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

// binary builds cmd/phonesim-gui once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "phonesim-gui-e2e")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "phonesim-gui")
		out, err := exec.Command("go", "build", "-tags", "gui", "-o", binPath, "github.com/phonesim/phonesim/cmd/phonesim-gui").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// cti is a CTI server on 127.0.0.1 recording the Action URLs it gets:
// /<phone>/<event>.
type cti struct {
	*httptest.Server
	mu   sync.Mutex
	hits []string
}

func newCTI(t *testing.T) *cti {
	c := &cti{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.hits = append(c.hits, strings.TrimPrefix(r.URL.Path, "/"))
		c.mu.Unlock()
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *cti) count(hit string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, h := range c.hits {
		if h == hit {
			n++
		}
	}
	return n
}

// phone is one phone of the GUI's configuration.
type phone struct {
	name, number string
	httpPort     int
}

// gui is a running bin/phonesim-gui.
type gui struct {
	cmd    *exec.Cmd
	dir    string
	phones []phone
	window string // X window id
	env    []string
	shots  int
	exited chan error
	out    *lockedbuf.Buffer
}

// startGUI runs the GUI at scale 1 on alice (1001) and bob (1002) and an
// embedded registrar, all on 127.0.0.1; with c, every Action URL goes to
// c. extra flags are appended. It waits until the window shows and both
// lines are registered.
func startGUI(t *testing.T, c *cti, extra ...string) *gui {
	t.Helper()
	return startGUIWith(t, c, false, extra...)
}

// startGUIWith is startGUI, with sound on or off.
func startGUIWith(t *testing.T, c *cti, sound bool, extra ...string) *gui {
	t.Helper()
	disp := display(t)
	bin := binary(t)
	dir := t.TempDir()
	const ip = "127.0.0.1"
	reg := peers.FreePort(t, "udp", ip)
	g := &gui{dir: dir, exited: make(chan error, 1), out: &lockedbuf.Buffer{},
		env: append(os.Environ(), "DISPLAY="+disp)}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "registrar:\n  listen: %s:%d\n  users: {\"1001\": s1, \"1002\": s2}\nphones:\n", ip, reg)
	for i, name := range []string{"alice", "bob"} {
		p := phone{name: name, number: strconv.Itoa(1001 + i), httpPort: peers.FreePort(t, "tcp", ip)}
		g.phones = append(g.phones, p)
		fmt.Fprintf(&cfg, "  - name: %s\n    ip: %s\n    sip_port: %d\n    http_port: %d\n", name, ip, peers.FreePort(t, "udp", ip), p.httpPort)
		fmt.Fprintf(&cfg, "    lines:\n      - {user: \"%s\", password: s%d, server: \"%s:%d\", display_name: %s}\n",
			p.number, i+1, ip, reg, strings.ToUpper(name[:1])+name[1:])
		if c != nil {
			fmt.Fprintf(&cfg, "    action_url:\n")
			for _, ev := range emulator.ActionEvents() {
				fmt.Fprintf(&cfg, "      %s: %s/%s/%s\n", ev.Key(), c.URL, name, ev.Key())
			}
		}
	}
	path := filepath.Join(dir, "phones.yaml")
	if err := os.WriteFile(path, []byte(cfg.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--config", path, "--scale", "1", "--shots", dir}
	if !sound {
		args = append(args, "--no-sound")
	}
	args = append(args, extra...)
	g.cmd = exec.Command(bin, args...)
	g.cmd.Env = g.env
	g.cmd.Stdout, g.cmd.Stderr = g.out, g.out
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { g.exited <- g.cmd.Wait() }()
	t.Cleanup(func() {
		if g.cmd.ProcessState == nil {
			_ = g.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-g.exited:
			case <-time.After(20 * time.Second):
				_ = g.cmd.Process.Kill()
				<-g.exited
			}
		}
		if t.Failed() {
			t.Logf("phonesim-gui output:\n%s", g.out.String())
		}
	})
	for _, p := range g.phones {
		waitFor(t, p.name+" registered", 15*time.Second, func() bool {
			s, err := g.status(p)
			return err == nil && len(s.Lines) > 0 && s.Lines[0].Registration == "registered"
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := g.xdotool(ctx, "search", "--sync", "--onlyvisible", "--pid", strconv.Itoa(g.cmd.Process.Pid))
	if err != nil {
		t.Fatalf("no window: %v\n%s", err, g.out.String())
	}
	g.window = strings.Fields(out)[0]
	_, _ = g.xdotool(ctx, "windowfocus", g.window)
	g.shot(t) // the first frames are drawn: input from now on is read
	return g
}

func (g *gui) xdotool(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "xdotool", args...)
	cmd.Env = g.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("xdotool %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

func (g *gui) run(t *testing.T, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := g.xdotool(ctx, args...); err != nil {
		t.Fatal(err)
	}
}

// A key or mouse button is held down as long as a person holds it (about
// 100 ms) and until the GUI has run two whole frames since it went down;
// then it is released. ebiten reads key and button state once per frame
// (it turns GLFW's sticky keys off in minimum-FPS mode, and has no queue of
// key events, only of typed characters), so a press and release within one
// frame is never seen. With software GL on a loaded machine one frame can
// take longer than a person's press: Escape pressed by xdotool for 200 ms
// was lost once (TestKeyboardDrivesTheHighlightedPhone). The GUI
// cannot catch such a press, so the test presses the way a person waiting
// for a slow phone does: it does not let go before the phone has looked.
// Two frames, because the first may have read the input just before the
// key went down; the second starts after the first is finished. Each frame
// is a screenshot asked for in turn (SIGUSR1, --shots).
const personPress = 100 * time.Millisecond

// holdDown runs down, holds it as above, then runs up.
func (g *gui) holdDown(t *testing.T, down, up []string) {
	t.Helper()
	g.run(t, down...)
	time.Sleep(personPress)
	g.shot(t)
	g.shot(t)
	g.run(t, up...)
}

// click presses the mouse on target of the i-th shown phone.
func (g *gui) click(t *testing.T, i int, target layout.Target) {
	t.Helper()
	x, y, err := layout.Point(target)
	if err != nil {
		t.Fatal(err)
	}
	cell := layout.Arrange(len(g.phones), layout.FirstShown(len(g.phones))).Cells[i]
	x, y = x+cell.Origin.X, y+cell.Origin.Y
	g.holdDown(t, []string{"mousemove", "--window", g.window, strconv.Itoa(int(x)), strconv.Itoa(int(y)), "mousedown", "1"},
		[]string{"mouseup", "1"})
}

// keys types X keysyms, one at a time.
func (g *gui) keys(t *testing.T, keysyms ...string) {
	t.Helper()
	for _, k := range keysyms {
		g.holdDown(t, []string{"keydown", k}, []string{"keyup", k})
		time.Sleep(30 * time.Millisecond)
	}
}

// shot asks the GUI for a screenshot (SIGUSR1) and reads it.
func (g *gui) shot(t *testing.T) *image.RGBA {
	t.Helper()
	g.shots++
	path := filepath.Join(g.dir, fmt.Sprintf("shot-%d.png", g.shots))
	if err := g.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	var img image.Image
	waitFor(t, "screenshot "+path, 10*time.Second, func() bool {
		f, err := os.Open(path)
		if err != nil {
			return false
		}
		defer f.Close()
		img, err = png.Decode(f)
		return err == nil
	})
	rgba, ok := img.(*image.RGBA)
	if !ok {
		rgba = image.NewRGBA(img.Bounds())
		for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
			for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
				rgba.Set(x, y, img.At(x, y))
			}
		}
	}
	return rgba
}

// status is the part of /api/status the tests read.
type status struct {
	Hook      string `json:"hook"`
	AudioPath string `json:"audio_path"`
	Muted     bool   `json:"muted"`
	Dialing   string `json:"dialing"`
	Lines     []struct {
		Registration string `json:"registration"`
	} `json:"lines"`
	Calls []struct {
		State string `json:"state"`
	} `json:"calls"`
}

func (g *gui) status(p phone) (status, error) {
	var s status
	resp, err := http.Get(fmt.Sprintf("http://admin:admin@127.0.0.1:%d/api/status", p.httpPort))
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return s, errors.New(resp.Status)
	}
	return s, json.NewDecoder(resp.Body).Decode(&s)
}

// activeURI sends an Active URI command as CTI software (or curl) does.
func (g *gui) activeURI(t *testing.T, p phone, query string) {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://admin:admin@127.0.0.1:%d/cgi-bin/ConfigManApp.com?%s", p.httpPort, query))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("Active URI %s: %s %s", query, resp.Status, body)
	}
}

func (g *gui) callStates(t *testing.T, p phone) []string {
	s, err := g.status(p)
	if err != nil {
		t.Fatalf("%s status: %v", p.name, err)
	}
	var out []string
	for _, c := range s.Calls {
		out = append(out, c.State)
	}
	return out
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lampAt is the colour of the LED of key k on the i-th shown phone.
func lampAt(img *image.RGBA, i int, k keypad.Key) color.RGBA {
	b, _ := layout.ButtonOf(k)
	cell := layout.Arrange(2, []int{0, 1}).Cells[i]
	x, y := b.Rect.X+11, b.Rect.Y+b.Rect.H/2 // line and DSS keys: LED on the left
	if _, isLine := k.Line(); !isLine {
		if _, isDSS := k.DSS(); !isDSS {
			x, y = b.Rect.X+b.Rect.W-8, b.Rect.Y+7 // function keys: LED top right
		}
	}
	return img.RGBAAt(int(cell.Origin.X+x), int(cell.Origin.Y+y))
}

func isGreen(c color.RGBA) bool { return c.G > 150 && c.R < 120 && c.B < 140 }
func isRed(c color.RGBA) bool   { return c.R > 200 && c.G < 110 && c.B < 110 }

// changed counts pixels of rect r that differ between a and b.
func changed(a, b *image.RGBA, r layout.Rect) int {
	n := 0
	for y := int(r.Y); y < int(r.Y+r.H); y++ {
		for x := int(r.X); x < int(r.X+r.W); x++ {
			if a.RGBAAt(x, y) != b.RGBAAt(x, y) {
				n++
			}
		}
	}
	return n
}
