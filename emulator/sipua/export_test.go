package sipua

// StatelessBusy reports whether u refuses new INVITEs itself (the phone
// told it every call appearance is taken, or DND is on), how many it
// refused so and how many ACKs of those refusals it ignored
// (statelessbusy.go).
func StatelessBusy(u *UA) (full bool, refused, acks uint64) {
	return u.busy.refusal.Load() != 0, u.busy.refused.Load(), u.busy.acks.Load()
}

// StatelessRefusal is the code u refuses new INVITEs with (0: none) and
// whether DND is why.
func StatelessRefusal(u *UA) (code int, dnd bool) {
	r := u.busy.refusal.Load()
	return int(r & 0xffff), r&dndBit != 0
}

// StatelessCancels is how many CANCELs u answered 481 statelessly.
func StatelessCancels(u *UA) uint64 { return u.busy.cancels.Load() }
