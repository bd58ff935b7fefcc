package fleet

import (
	"fmt"
	"syscall"

	"github.com/phonesim/phonesim/config"
)

// Descriptors a fleet holds (issue 10, item 2): each phone its SIP socket
// (UDP, or a TCP listener), one more while it keeps an Action URL
// connection alive, and an HTTP listener unless it shares one with the
// other phones on its port (shared.go); each shared listener one; the
// embedded registrar a UDP socket and a TCP listener. fdReserve covers
// the rest: stdio, the metrics server, calls' RTP sockets and the
// connections of Active URI requests in flight.
const fdReserve = 256

// FilesNeeded is how many descriptors f needs, and how many of them each
// phone adds on average.
func FilesNeeded(f *config.File) (need int, perPhone float64) {
	need = fdReserve
	if f.Registrar != nil {
		need += 2
	}
	phones := 0
	for _, g := range httpGroups(f.Phones) {
		if len(g) > 1 {
			need++ // the shared listener
		}
		for _, i := range g {
			p := &f.Phones[i]
			phones++
			need++ // SIP
			if len(g) == 1 {
				need++ // its own HTTP listener
			}
			if len(p.ActionURL) > 0 {
				need++ // a kept-alive connection to the CTI server
			}
		}
	}
	if phones == 0 {
		return need, 0
	}
	return need, float64(need-fdReserve) / float64(phones)
}

// EnsureOpenFiles compares the descriptors f needs with RLIMIT_NOFILE
// before anything binds. If the soft limit is too low and the hard limit
// allows, it raises the soft limit and says so in note; otherwise the
// error says how many phones fit and how to raise the limit.
func EnsureOpenFiles(f *config.File) (note string, err error) {
	need, per := FilesNeeded(f)
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return "", nil // no limit to compare with
	}
	if uint64(need) <= lim.Cur {
		return "", nil
	}
	if uint64(need) <= lim.Max {
		old := lim.Cur
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil {
			return fmt.Sprintf("raised the open-file limit from %d to %d (the fleet needs about %d)", old, lim.Cur, need), nil
		}
	}
	fit := 0
	if per > 0 && lim.Max > fdReserve {
		fit = int(float64(lim.Max-fdReserve) / per)
	}
	return "", fmt.Errorf("the fleet needs about %d open files (%d phones, %.1f each, and %d spare) but the limit is %d: "+
		"about %d phones fit. Raise the limit (ulimit -n %d; in systemd LimitNOFILE=%d; in Docker --ulimit nofile=%d) "+
		"or split the fleet with --shard K/N", need, len(f.Phones), per, fdReserve, lim.Max, fit, need, need, need)
}
