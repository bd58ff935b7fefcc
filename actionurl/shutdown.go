package actionurl

import "time"

// ShutdownGrace is how long queued Action URLs may still go out once a
// shutdown begins: a phone's last events (Unregistered) usually reach the
// CTI server, and a CTI server that hangs cannot hold the process much
// longer (issue 7: phonesim stops within 2 s whatever the queues hold).
const ShutdownGrace = time.Second

// BeginShutdown starts the end of sending: events keep going out for
// grace, then the request in flight of every device is interrupted and
// every event still queued or still to come is dropped, counted (Dropped)
// and logged once, by Close. The device's queue then drains at once, so
// closing the device does not wait on the CTI server. Call it before
// closing the devices; calls after the first do nothing.
func (s *Sender) BeginShutdown(grace time.Duration) {
	s.shutdownOnce.Do(func() {
		if grace <= 0 {
			s.startDropping()
			return
		}
		time.AfterFunc(grace, s.startDropping)
	})
}

func (s *Sender) startDropping() {
	s.dropping.Store(true)
	s.mu.Lock()
	for _, a := range s.attached {
		a.cancel() // the GET in flight ends now (counted as canceled)
	}
	s.mu.Unlock()
}

// Dropped is how many events were dropped unsent at shutdown.
func (s *Sender) Dropped() uint64 { return s.dropped.Load() }

// logDropped reports the drop, once: Close calls it.
func (s *Sender) logDropped() {
	if n := s.dropped.Load(); n > 0 && !s.dropLogged.Swap(true) {
		s.log.Warn("action URLs dropped at shutdown: the CTI server did not take them in time", "dropped", n, "grace", ShutdownGrace)
	}
}
