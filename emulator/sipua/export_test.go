package sipua

// StatelessBusy reports whether u refuses new INVITEs itself (the phone
// told it every call appearance is taken), how many it refused so and how
// many ACKs of those 486s it ignored (statelessbusy.go).
func StatelessBusy(u *UA) (full bool, refused, acks uint64) {
	return u.busy.full.Load(), u.busy.refused.Load(), u.busy.acks.Load()
}
