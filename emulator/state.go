package emulator

type state struct{ p *Phone }

func newState(p *Phone) *state        { return &state{p: p} }
func (s *state) apply(in Input) error { return nil }
func (s *state) flush()               {}
func (s *state) snapshot() Snapshot   { return Snapshot{Identity: s.p.cfg.Identity} }
func (s *state) setupCompleted()      {}
