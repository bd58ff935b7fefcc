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

// FilesNeeded is how many descriptors f needs when phones sharing a port
// share a listener (shared) or not, and how many each phone adds on
// average when they share.
func FilesNeeded(f *config.File) (own, shared int, perPhone float64) {
	own, shared = fdReserve, fdReserve
	if f.Registrar != nil {
		own += 2
		shared += 2
	}
	for _, g := range httpGroups(f.Phones) {
		if len(g) > 1 {
			shared++ // the shared listener
		}
		for _, i := range g {
			p := &f.Phones[i]
			n := 1 // SIP
			if len(p.ActionURL) > 0 {
				n++ // a kept-alive connection to the CTI server
			}
			own += n + 1 // and its own HTTP listener
			shared += n
			if len(g) == 1 {
				shared++
			}
		}
	}
	if len(f.Phones) > 0 {
		perPhone = float64(shared-fdReserve) / float64(len(f.Phones))
	}
	return own, shared, perPhone
}

// EnsureOpenFiles compares the descriptors f needs with RLIMIT_NOFILE
// before anything binds, and decides whether phones on one HTTP port
// share a listener: only when a listener each would not fit, since a
// shared listener binds the port on every address (two processes on one
// machine cannot both run phones on that port then). If the soft limit is
// too low and the hard limit allows, it raises the soft limit and says so
// in note; if even shared listeners do not fit, the error says how many
// phones fit and how to raise the limit.
func EnsureOpenFiles(f *config.File) (share bool, note string, err error) {
	own, shared, per := FilesNeeded(f)
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return false, "", nil // no limit to compare with
	}
	need := own
	if uint64(own) > lim.Max {
		share, need = true, shared
	}
	if uint64(need) <= lim.Cur {
		return share, "", nil
	}
	if uint64(need) <= lim.Max {
		old := lim.Cur
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil {
			return share, fmt.Sprintf("raised the open-file limit from %d to %d (the fleet needs about %d)", old, lim.Cur, need), nil
		}
		lim.Max = lim.Cur // cannot raise after all
	}
	fit := 0
	if per > 0 && lim.Max > fdReserve {
		fit = int(float64(lim.Max-fdReserve) / per)
	}
	return false, "", fmt.Errorf("the fleet needs about %d open files (%d phones, %.1f each, and %d spare) but the limit is %d: "+
		"about %d phones fit. Raise the limit (ulimit -n %d; in systemd LimitNOFILE=%d; in Docker --ulimit nofile=%d) "+
		"or split the fleet with --shard K/N", shared, len(f.Phones), per, fdReserve, lim.Max, fit, shared, shared, shared)
}
