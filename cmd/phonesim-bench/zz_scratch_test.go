package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/phonesim/phonesim/actionurl"
	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/registrar"
	"github.com/phonesim/phonesim/emulator/sipua"
)

func measure(t *testing.T, name string, n int, f func(i int)) {
	settle(200 * time.Millisecond)
	b := readMemClasses()
	r0, _ := vmRSS("/proc/self/status")
	g0 := runtime.NumGoroutine()
	for i := range n {
		f(i)
	}
	settle(2 * time.Second)
	a := readMemClasses()
	r1, _ := vmRSS("/proc/self/status")
	fmt.Printf("%-28s rss %6.1f KiB  goroutines %.1f  %s\n", name, float64(r1-r0)/1024/float64(n), float64(runtime.NumGoroutine()-g0)/float64(n), a.perPhone(b, n))
}

func TestScratch(t *testing.T) {
	const n = 1000
	ctx := context.Background()
	var keep []any
	measure(t, "emulator core (no SIP)", n, func(i int) {
		p := config.Phone{Name: fmt.Sprint("p", i), IP: "127.0.0.1", Lines: []config.Line{{User: "1", Server: "127.0.0.1:9"}}}
		f := config.File{Phones: []config.Phone{p}}
		f.ApplyDefaults()
		ph := emulator.New(f.Phones[0].EmulatorConfig(), nil)
		ph.Start(ctx)
		keep = append(keep, ph)
	})
	var phones []*emulator.Phone
	for _, k := range keep {
		phones = append(phones, k.(*emulator.Phone))
	}
	measure(t, "+ actionurl sender attached", n, func(i int) {
		s, _ := actionurl.NewSender(actionurl.Config{})
		s.Attach(phones[i])
		keep = append(keep, s)
	})
	measure(t, "http.Server serving", n, func(i int) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		srv := &http.Server{Handler: http.NotFoundHandler()}
		go srv.Serve(ln)
		keep = append(keep, srv)
	})
	reg, _ := registrar.New(registrar.Config{Listen: "127.0.0.1:0"})
	reg.Start(ctx)
	measure(t, "sipua UA registered (+core)", n, func(i int) {
		lc := emulator.LineConfig{User: fmt.Sprint(20000 + i), Server: reg.Addr(), Expires: time.Hour}
		ua := sipua.New(sipua.Options{IP: "127.0.0.1", Lines: []emulator.LineConfig{lc}})
		p := config.Phone{Name: fmt.Sprint("q", i), IP: "127.0.0.1", Lines: []config.Line{{User: lc.User, Server: reg.Addr()}}}
		f := config.File{Phones: []config.Phone{p}}
		f.ApplyDefaults()
		ph := emulator.New(f.Phones[0].EmulatorConfig(), ua)
		ph.Start(ctx)
		keep = append(keep, ph)
	})
	fmt.Println(len(reg.Bindings()), len(keep))
}
