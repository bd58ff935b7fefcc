package scenarios

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/phonesimtest"
)

// step runs one step; nil means it passed.
func (r *runner) step(ctx context.Context, st Step) *Failure {
	phones := make([]*phonesimtest.Phone, len(st.Phones))
	for i, n := range st.Phones {
		if phones[i] = r.ps.Phone(n); phones[i] == nil { // Parse checked the names
			return &Failure{Expected: "phone " + n, Got: "no such phone"}
		}
	}
	var f *Failure
	switch st.Kind {
	case KindWait:
		sleep(ctx, st.Wait)
		return nil
	case KindURI:
		f = r.http(ctx, phones[0], st.Status, "Active URI "+st.URI, func(ctx context.Context) (phonesimtest.Response, error) {
			return phones[0].URI(ctx, st.URI)
		})
	case KindPress:
		f = r.press(ctx, phones[0], st.Status, st.Keys...)
	case KindDial:
		keys := make([]string, 0, len(st.Dial)+1)
		for _, c := range st.Dial {
			if c == '#' {
				keys = append(keys, "POUND")
			} else {
				keys = append(keys, string(c))
			}
		}
		// One request with the whole sequence, as CTI software types a
		// number on the keypad (key=1;0;0;2;OK).
		q := "key=" + escapeKey(strings.Join(append(keys, "OK"), ";"))
		f = r.http(ctx, phones[0], st.Status, "Active URI "+q, func(ctx context.Context) (phonesimtest.Response, error) {
			return phones[0].URI(ctx, q)
		})
	case KindHook:
		f = r.hook(ctx, phones[0], st)
	case KindSet:
		f = r.set(ctx, phones[0], st)
	case KindMWI:
		f = r.mwi(ctx, phones[0], st.MWI)
	case KindExpectEvent:
		f = r.expectEvent(ctx, phones, st)
	case KindExpectNoEvent:
		f = r.expectNoEvent(ctx, phones, st)
	case KindExpectState:
		f = r.waitSnapshot(ctx, phones, st.Within, stateText(st.State), func(s emulator.Snapshot) (string, bool) {
			var got []string
			ok := true
			for _, c := range st.State {
				g, pass := c.Test(s)
				got = append(got, c.What+" "+g)
				ok = ok && pass
			}
			return strings.Join(got, ", "), ok
		})
	case KindExpectLCD:
		where := "on the screen"
		if st.LCD.At != "" {
			where = "at " + st.LCD.At
		}
		f = r.waitSnapshot(ctx, phones, st.Within, fmt.Sprintf("%q %s within %s", st.LCD.Text, where, st.Within), func(s emulator.Snapshot) (string, bool) {
			return "LCD " + lcdText(s.LCD), lcdHas(s.LCD, st.LCD)
		})
	}
	if f != nil && len(f.Phones) == 0 {
		// The step's phones first, then the others: a call ended by the
		// far end shows there.
		for _, p := range phones {
			f.Phones = append(f.Phones, view(p))
		}
		for _, p := range r.ps.List() {
			if !slices.Contains(phones, p) {
				f.Phones = append(f.Phones, view(p))
			}
		}
	}
	return f
}

func stateText(cs []StateCheck) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.String()
	}
	return strings.Join(parts, ", ")
}

// http runs one request of the phone's web server and checks its status
// (want, or 200 when want is 0).
func (r *runner) http(ctx context.Context, p *phonesimtest.Phone, want int, what string, do func(context.Context) (phonesimtest.Response, error)) *Failure {
	if want == 0 {
		want = http.StatusOK
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := do(ctx)
	if err != nil {
		return &Failure{Expected: fmt.Sprintf("%s answered %d", what, want), Got: err.Error()}
	}
	if resp.Status != want {
		return &Failure{Expected: fmt.Sprintf("%s answered %d", what, want), Got: fmt.Sprintf("%d %s", resp.Status, resp.Body)}
	}
	return nil
}

// press sends one Active URI request per key; every key but the last must
// answer 200, the last want (default 200).
func (r *runner) press(ctx context.Context, p *phonesimtest.Phone, want int, keys ...string) *Failure {
	for i, k := range keys {
		w := 0
		if i == len(keys)-1 {
			w = want
		}
		q := "key=" + escapeKey(k)
		if f := r.http(ctx, p, w, "Active URI "+q, func(ctx context.Context) (phonesimtest.Response, error) {
			return p.URI(ctx, q)
		}); f != nil {
			return f
		}
	}
	return nil
}

// hook lifts or hangs up. The emulated phone has no handset: as on a desk
// phone used hands-free, off is the SPEAKER key (it answers a ringing call
// or gives dial tone) and on is X (ends the call in focus, or puts the
// idle phone back on hook). Asking for the hook state the phone is
// already in fails: a handset cannot be lifted twice.
func (r *runner) hook(ctx context.Context, p *phonesimtest.Phone, st Step) *Failure {
	cur := strings.TrimSuffix(p.Snapshot().Hook.String(), "_hook")
	if cur == st.Hook {
		return &Failure{Expected: "the phone " + map[string]string{"off": "on", "on": "off"}[st.Hook] + " hook", Got: "already " + cur + " hook"}
	}
	key := "SPEAKER"
	if st.Hook == "on" {
		key = "X"
	}
	return r.press(ctx, p, st.Status, key)
}

func (r *runner) set(ctx context.Context, p *phonesimtest.Phone, st Step) *Failure {
	switch s := st.Set; {
	case s.DND != nil:
		key := "DNDOff"
		if *s.DND {
			key = "DNDOn"
		}
		return r.press(ctx, p, st.Status, key)
	case s.IP != "":
		return r.http(ctx, p, st.Status, "POST /api/ip ip="+s.IP, func(ctx context.Context) (phonesimtest.Response, error) {
			return p.SetIP(ctx, s.IP)
		})
	case s.Forward != nil:
		// Active URI has no forward command (spec §3.2); a user sets it in
		// the phone's menu. The runner applies it as that menu does.
		fw := s.Forward
		in := emulator.SetForward{Kind: fw.Kind, On: fw.Target != "", Target: fw.Target, RingTimeout: fw.Timeout}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := p.Do(cctx, in); err != nil {
			return &Failure{Expected: "forwarding set", Got: err.Error()}
		}
	}
	return nil
}

// expectEvent waits, on each phone, for the first event after the last one
// matched there that has the type and whose variables match the globs.
func (r *runner) expectEvent(ctx context.Context, phones []*phonesimtest.Phone, st Step) *Failure {
	ctx, cancel := context.WithTimeout(ctx, st.Within)
	defer cancel()
	match := eventMatch(st)
	for _, p := range phones {
		from := r.cursor[p]
		_, idx, err := p.WaitEvent(ctx, from, match)
		if err != nil {
			return &Failure{
				Expected: fmt.Sprintf("%s: %s%s within %s", p.Name(), st.Event.Key(), withWords(st.With), st.Within),
				Got:      "events since the last one matched: " + describe(p.Events()[from:], st.With),
			}
		}
		r.cursor[p] = idx + 1
	}
	return nil
}

// expectNoEvent watches for st.For that no matching event comes after the
// last one matched (events that already came count too).
func (r *runner) expectNoEvent(parent context.Context, phones []*phonesimtest.Phone, st Step) *Failure {
	ctx, cancel := context.WithTimeout(parent, st.For)
	defer cancel()
	type found struct {
		p  *phonesimtest.Phone
		ev phonesimtest.Received
	}
	hits := make(chan found, len(phones))
	for _, p := range phones {
		go func() {
			if ev, _, err := p.WaitEvent(ctx, r.cursor[p], eventMatch(st)); err == nil {
				hits <- found{p, ev}
			} else {
				hits <- found{}
			}
		}()
	}
	var f *Failure
	for range phones {
		if h := <-hits; h.p != nil && f == nil {
			f = &Failure{
				Expected: fmt.Sprintf("no %s%s for %s", st.Event.Key(), withWords(st.With), st.For),
				Got:      fmt.Sprintf("%s sent %s", h.p.Name(), describe([]phonesimtest.Received{h.ev}, st.With)),
			}
			cancel()
		}
	}
	if f == nil && parent.Err() != nil {
		return &Failure{Expected: fmt.Sprintf("no %s for %s", st.Event.Key(), st.For), Got: "the run was cancelled"}
	}
	return f
}

func eventMatch(st Step) func(phonesimtest.Received) bool {
	return func(ev phonesimtest.Received) bool {
		if ev.Event != st.Event {
			return false
		}
		for k, pat := range st.With {
			if !glob(pat, ev.Vars[k]) {
				return false
			}
		}
		return true
	}
}

// describe lists events, with the variables a step looks at.
func describe(list []phonesimtest.Received, with map[string]string) string {
	if len(list) == 0 {
		return "none"
	}
	keys := slices.Sorted(maps.Keys(with))
	parts := make([]string, len(list))
	for i, ev := range list {
		parts[i] = ev.Key()
		if len(keys) > 0 {
			var vs []string
			for _, k := range keys {
				vs = append(vs, k+"="+strconv.Quote(ev.Vars[k]))
			}
			parts[i] += " (" + strings.Join(vs, " ") + ")"
		}
	}
	return strings.Join(parts, ", ")
}

// waitSnapshot waits until cond holds on every phone.
func (r *runner) waitSnapshot(ctx context.Context, phones []*phonesimtest.Phone, within time.Duration, want string, cond func(emulator.Snapshot) (string, bool)) *Failure {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	for _, p := range phones {
		s, err := p.WaitSnapshot(ctx, func(s emulator.Snapshot) bool { _, ok := cond(s); return ok })
		if err != nil {
			got, _ := cond(s)
			return &Failure{Expected: p.Name() + ": " + want, Got: got}
		}
	}
	return nil
}

// lcdHas: the text on the screen at the place asked, or anywhere.
func lcdHas(l emulator.LCD, c LCDCheck) bool {
	switch {
	case c.At == "title":
		return strings.Contains(l.Title, c.Text)
	case strings.HasPrefix(c.At, "line "):
		n, _ := strconv.Atoi(c.At[5:])
		return n <= len(l.Lines) && strings.Contains(l.Lines[n-1], c.Text)
	case c.At != "":
		n, _ := strconv.Atoi(c.At[1:])
		return l.SoftKeys[n-1] == c.Text
	}
	all := append([]string{l.Title}, l.Lines...)
	all = append(all, l.SoftKeys[:]...)
	for _, s := range all {
		if strings.Contains(s, c.Text) {
			return true
		}
	}
	return false
}

// mwi sends the phone an unsolicited RFC 3842 message-summary NOTIFY over
// UDP, as a voicemail server does, and wants 200.
func (r *runner) mwi(ctx context.Context, p *phonesimtest.Phone, m MWI) *Failure {
	fail := func(got string) *Failure {
		return &Failure{Expected: "the phone to answer the message-summary NOTIFY with 200", Got: got}
	}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return fail(err.Error())
	}
	defer conn.Close()
	addr := p.Member.UA.Addr()
	user := p.Extension()
	waiting := "no"
	if m.New > 0 {
		waiting = "yes"
	}
	// RFC 3842 §5.2: "Messages-Waiting" then the counts "new/old".
	body := fmt.Sprintf("Messages-Waiting: %s\r\nMessage-Account: sip:%s@127.0.0.1\r\nVoice-Message: %d/%d\r\n", waiting, user, m.New, m.Old)
	callID := fmt.Sprintf("mwi-%d@127.0.0.1", time.Now().UnixNano())
	msg := fmt.Sprintf("NOTIFY sip:%[1]s@%[2]s SIP/2.0\r\nVia: SIP/2.0/UDP %[3]s;branch=z9hG4bK-%[4]d\r\n"+
		"From: <sip:voicemail@127.0.0.1>;tag=vm\r\nTo: <sip:%[1]s@%[2]s>\r\nCall-ID: %[5]s\r\n"+
		"CSeq: 1 NOTIFY\r\nMax-Forwards: 70\r\nEvent: message-summary\r\nSubscription-State: active\r\n"+
		"Content-Type: application/simple-message-summary\r\nContent-Length: %[6]d\r\n\r\n%[7]s",
		user, addr, conn.LocalAddr(), time.Now().UnixNano(), callID, len(body), body)
	to, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return fail(err.Error())
	}
	if _, err := conn.WriteTo([]byte(msg), to); err != nil {
		return fail(err.Error())
	}
	deadline := time.Now().Add(5 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = conn.SetReadDeadline(deadline)
	buf := make([]byte, 4096)
	for {
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			return fail(err.Error())
		}
		status, _, _ := strings.Cut(string(buf[:n]), "\r\n")
		if strings.HasPrefix(status, "SIP/2.0 1") {
			continue // provisional
		}
		if strings.HasPrefix(status, "SIP/2.0 200") {
			return nil
		}
		return fail(status)
	}
}
