package emulator

// RelabelSoftKey renames a soft-key action's label for a test (as a
// vendor or a translation would) and returns the function that restores it.
func RelabelSoftKey(a SoftAction, label string) (restore func()) {
	old := softKeyTable[a].label
	softKeyTable[a].label = label
	return func() { softKeyTable[a].label = old }
}
