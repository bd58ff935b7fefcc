package actionurl

import "time"

// ShutdownGrace is how long queued Action URLs may still go out once a
// shutdown begins: a phone's last events (Unregistered) usually reach the
// CTI server, and a CTI server that hangs cannot hold the process much
// longer (issue 7: phonesim stops within 2 s whatever the queues hold).
const ShutdownGrace = time.Second

// BeginShutdown starts the end of sending. Events keep going out; once
// grace has passed, a device whose GET is still under way is stuck (its
// CTI server hangs or crawls): that GET is interrupted and every event it
// still has queued, or gets later, is dropped, counted (Dropped) and
// logged once, by Close. Its queue then drains at once, so closing the
// device does not wait on the CTI server. A device whose server keeps up
// goes on sending, so its last events (Unregistered) still arrive. Call it
// before closing the devices; calls after the first do nothing.
func (s *Sender) BeginShutdown(grace time.Duration) {
	s.shutdownOnce.Do(func() {
		s.grace = max(grace, 0)
		time.AfterFunc(s.grace, s.dropStuck)
	})
}

func (s *Sender) dropStuck() {
	s.graceOver.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.attached {
		if a.sending.Load() {
			a.dropping.Store(true)
			a.cancel() // the GET in flight ends now (counted as canceled)
		}
	}
}

// afterShutdownSend catches a device dropStuck missed because its GET had
// not quite started: once the grace is over, a GET that took the grace or
// longer marks the device stuck too, so at most one more GET waits.
func (s *Sender) afterShutdownSend(a *attachment, took time.Duration) {
	if s.graceOver.Load() && took >= s.grace {
		a.dropping.Store(true)
	}
}

// dropAtShutdown counts n events of a stuck device dropped unsent.
func (s *Sender) dropAtShutdown(n int) {
	s.shutdownDropped.Add(uint64(n))
	s.dropped.Add(uint64(n))
}

// logDropped reports the shutdown's drop, once: Close calls it.
func (s *Sender) logDropped() {
	if n := s.shutdownDropped.Load(); n > 0 && !s.dropLogged.Swap(true) {
		s.log.Warn("action URLs dropped at shutdown: the CTI server did not take them in time", "dropped", n, "grace", ShutdownGrace)
	}
}
