package scenarios

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/keypad"
)

// MaxFileSize is the largest scenario file read.
const MaxFileSize = 1 << 20

// maxDuration bounds every duration of a step: a typo such as "500s" for
// "500ms" should not hang CI for hours.
const maxDuration = 10 * time.Minute

// Load reads and checks every file. If any is invalid the error is
// Problems, every problem of every file as "file:line: message", and no
// scenario is returned: nothing should run.
func Load(paths ...string) ([]*Scenario, error) {
	var all Problems
	var out []*Scenario
	for _, path := range paths {
		data, err := readFile(path)
		if err != nil {
			all = append(all, Problem{File: path, Line: 1, Msg: err.Error()})
			continue
		}
		sc, probs := Parse(path, data)
		all = append(all, probs...)
		out = append(out, sc)
	}
	if len(all) > 0 {
		all.sort()
		return nil, all
	}
	return out, nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.Unwrap(err) // *PathError says the path again
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("larger than %d KiB", MaxFileSize>>10)
	}
	return data, nil
}

// Parse checks one scenario held in memory; path names it in problems and
// is where "config:" and "provisioning:" are relative to. Phones named in
// steps must exist in the demo or the config file, which Parse loads.
func Parse(path string, data []byte) (*Scenario, Problems) {
	p := &parse{file: path}
	sc := &Scenario{Path: path}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		p.errf(yamlErrorLine(err), "%s", firstLine(err.Error()))
		return sc, p.probs
	}
	var body ast.Node
	if len(f.Docs) > 0 {
		body = f.Docs[0].Body
	}
	if len(f.Docs) > 1 {
		p.errf(line(f.Docs[1]), "one scenario per file: a second YAML document")
	}
	if body == nil {
		p.errf(1, "empty file: want name, phones (or config) and steps")
		return sc, p.probs
	}
	p.top(sc, body)
	return sc, p.probs
}

type parse struct {
	file   string
	probs  Problems
	phones map[string]bool // names a step may use; nil until known
}

func (p *parse) errf(line int, format string, args ...any) {
	if line < 1 {
		line = 1
	}
	p.probs = append(p.probs, Problem{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func line(n ast.Node) (l int) {
	if d, ok := n.(*ast.DocumentNode); ok {
		// A document without a "---" has no start token; its GetToken
		// dereferences it (goccy/go-yaml v1.19.2).
		if d.Start != nil {
			return d.Start.Position.Line
		}
		n = d.Body
	}
	if n == nil || n.GetToken() == nil {
		return 0
	}
	return n.GetToken().Position.Line
}

// yamlErrorLine digs the line out of a goccy/go-yaml syntax error
// ("[3:5] ...").
func yamlErrorLine(err error) int {
	s := err.Error()
	if strings.HasPrefix(s, "[") {
		if end := strings.IndexAny(s, ":]"); end > 1 {
			if n, err := strconv.Atoi(s[1:end]); err == nil {
				return n
			}
		}
	}
	return 1
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if i := strings.Index(s, "] "); strings.HasPrefix(s, "[") && i > 0 {
		s = s[i+2:]
	}
	return s
}

// node strips comments and refuses what scenarios do not use.
func (p *parse) node(n ast.Node, what string) (ast.Node, bool) {
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return nil, true
	case *ast.CommentGroupNode:
		return nil, true
	case *ast.AnchorNode, *ast.AliasNode, *ast.TagNode:
		p.errf(line(n), "%s: YAML anchors, aliases and tags are not used in scenarios", what)
		return nil, false
	case *ast.MappingValueNode:
		return ast.Mapping(v.GetToken(), false, v), true
	}
	return n, true
}

func (p *parse) mapping(n ast.Node, at int, what string) ([]*ast.MappingValueNode, bool) {
	n, ok := p.node(n, what)
	if !ok {
		return nil, false
	}
	m, isMap := n.(*ast.MappingNode)
	if !isMap {
		p.errf(lineOr(n, at), "%s: want a mapping (key: value)", what)
		return nil, false
	}
	return m.Values, true
}

func lineOr(n ast.Node, at int) int {
	if l := line(n); l > 0 {
		return l
	}
	return at
}

// scalar is a value as written: "1001", 1001 and 1001.0 all as written.
func (p *parse) scalar(n ast.Node, at int, what string) (string, bool) {
	n, ok := p.node(n, what)
	if !ok {
		return "", false
	}
	switch v := n.(type) {
	case nil:
		p.errf(at, "%s: missing value", what)
		return "", false
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		return v.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return v.GetToken().Value, true
	}
	p.errf(lineOr(n, at), "%s: want a single value, not a %s", what, kindOf(n))
	return "", false
}

func kindOf(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode:
		return "mapping"
	case *ast.SequenceNode:
		return "list"
	}
	return "value"
}

// scalars is one value or a list of values.
func (p *parse) scalars(n ast.Node, at int, what string) ([]string, bool) {
	n, ok := p.node(n, what)
	if !ok {
		return nil, false
	}
	seq, isSeq := n.(*ast.SequenceNode)
	if !isSeq {
		s, ok := p.scalar(n, at, what)
		return []string{s}, ok
	}
	if len(seq.Values) == 0 {
		p.errf(lineOr(n, at), "%s: empty list", what)
		return nil, false
	}
	out := make([]string, 0, len(seq.Values))
	for _, v := range seq.Values {
		s, ok := p.scalar(v, lineOr(v, at), what)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

func (p *parse) duration(n ast.Node, at int, what string) (time.Duration, bool) {
	s, ok := p.scalar(n, at, what)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		p.errf(lineOr(n, at), "%s: %q is not a duration (such as 2s or 500ms)", what, s)
		return 0, false
	case d <= 0 || d > maxDuration:
		p.errf(lineOr(n, at), "%s: %s is not between 0 and %s", what, s, maxDuration)
		return 0, false
	}
	return d, true
}

func (p *parse) boolean(n ast.Node, at int, what string) (bool, bool) {
	s, ok := p.scalar(n, at, what)
	if !ok {
		return false, false
	}
	b, ok := parseBool(s)
	if !ok {
		p.errf(lineOr(n, at), "%s: %q is not true or false", what, s)
	}
	return b, ok
}

// parseBool takes YAML 1.1's words too: on/off, yes/no.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "on", "yes":
		return true, true
	case "false", "off", "no":
		return false, true
	}
	return false, false
}

func (p *parse) integer(n ast.Node, at int, what string, lo, hi int) (int, bool) {
	s, ok := p.scalar(n, at, what)
	if !ok {
		return 0, false
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		p.errf(lineOr(n, at), "%s: %q is not a number from %d to %d", what, s, lo, hi)
		return 0, false
	}
	return v, true
}

func keyOf(mv *ast.MappingValueNode) string {
	if mv.Key == nil {
		return ""
	}
	return mv.Key.GetToken().Value
}

// top reads the file's mapping: name, phones or config, provisioning, steps.
func (p *parse) top(sc *Scenario, body ast.Node) {
	values, ok := p.mapping(body, 1, "scenario")
	if !ok {
		return
	}
	var steps *ast.MappingValueNode
	seen := map[string]bool{}
	for _, mv := range values {
		key, at := keyOf(mv), line(mv.Key)
		if seen[key] {
			p.errf(at, "%s given twice", key)
			continue
		}
		seen[key] = true
		switch key {
		case "name":
			sc.Name, _ = p.scalar(mv.Value, at, "name")
		case "description":
			p.scalar(mv.Value, at, "description")
		case "phones":
			if s, ok := p.scalar(mv.Value, at, "phones"); ok && s != "demo" {
				p.errf(at, "phones: %q: the only built-in set is demo (or give config: FILE)", s)
			} else if ok {
				sc.Demo = true
				p.phones = demoNames()
			}
		case "config":
			if s, ok := p.scalar(mv.Value, at, "config"); ok {
				sc.Config = p.relative(s)
				f, err := config.Load(sc.Config)
				if err != nil {
					for l := range strings.SplitSeq(err.Error(), "\n") {
						p.errf(at, "config %s: %s", s, l)
					}
				} else {
					p.phones = namesOf(f)
				}
			}
		case "provisioning":
			if s, ok := p.scalar(mv.Value, at, "provisioning"); ok {
				sc.Provisioning = p.relative(s)
				if st, err := os.Stat(sc.Provisioning); err != nil || !st.IsDir() {
					p.errf(at, "provisioning: %s is not a directory", s)
				}
			}
		case "steps":
			steps = mv
		default:
			p.errf(at, "unknown key %q (want name, description, phones, config, provisioning, steps)", key)
		}
	}
	switch {
	case seen["phones"] && seen["config"]:
		p.errf(1, "give either phones: demo or config: FILE, not both")
	case !seen["phones"] && !seen["config"]:
		p.errf(1, "missing phones: demo or config: FILE")
	}
	if sc.Name == "" {
		sc.Name = strings.TrimSuffix(filepath.Base(sc.Path), filepath.Ext(sc.Path))
	}
	if steps == nil {
		p.errf(1, "missing steps")
		return
	}
	n, ok := p.node(steps.Value, "steps")
	seq, isSeq := n.(*ast.SequenceNode)
	if !ok || !isSeq || len(seq.Values) == 0 {
		if ok {
			p.errf(line(steps.Key), "steps: want a list of steps")
		}
		return
	}
	for _, v := range seq.Values {
		if st, ok := p.step(v); ok {
			sc.Steps = append(sc.Steps, st)
		}
	}
}

func (p *parse) relative(s string) string {
	if filepath.IsAbs(s) {
		return s
	}
	return filepath.Join(filepath.Dir(p.file), s)
}

// demoNames are the demo's phones by name and by extension.
func demoNames() map[string]bool { return namesOf(config.Demo()) }

func namesOf(f *config.File) map[string]bool {
	names := map[string]bool{}
	for _, ph := range f.Phones {
		names[ph.Name] = true
		for _, l := range ph.Lines {
			names[l.User] = true
		}
	}
	return names
}

// stepKeys: the action keys (one per step) and the modifiers each allows.
var stepKeys = map[Kind][]string{
	KindURI:           {"expect_status"},
	KindPress:         {"expect_status"},
	KindHook:          {"expect_status"},
	KindDial:          {"expect_status"},
	KindExpectEvent:   {"with", "within"},
	KindExpectNoEvent: {"with", "for"},
	KindExpectState:   {"within"},
	KindExpectLCD:     {"at", "within"},
	KindWait:          {},
	KindSet:           {"expect_status"},
	KindMWI:           {},
}

var modifiers = []string{"phone", "with", "within", "for", "expect_status", "at"}

// step reads one step, e.g. {phone: "1002", press: OK}.
func (p *parse) step(n ast.Node) (Step, bool) {
	st := Step{Line: line(n)}
	values, ok := p.mapping(n, st.Line, "step")
	if !ok {
		return st, false
	}
	if len(values) > 0 {
		st.Line = line(values[0].Key)
	}
	errs := len(p.probs)
	fields := map[string]*ast.MappingValueNode{}
	for _, mv := range values {
		key := keyOf(mv)
		if _, dup := fields[key]; dup {
			p.errf(line(mv.Key), "%s given twice in one step", key)
			continue
		}
		_, isAction := stepKeys[Kind(key)]
		if !isAction && !slices.Contains(modifiers, key) {
			p.errf(line(mv.Key), "unknown step key %q", key)
			continue
		}
		fields[key] = mv
		if isAction {
			if st.Kind != "" {
				p.errf(line(mv.Key), "one action per step: %s and %s", st.Kind, key)
				continue
			}
			st.Kind = Kind(key)
		}
	}
	if st.Kind == "" {
		if len(p.probs) == errs {
			p.errf(st.Line, "step without an action (one of uri, press, hook, dial, expect_event, expect_no_event, expect_state, expect_lcd, wait, set, mwi)")
		}
		return st, false
	}
	for _, mv := range values {
		key := keyOf(mv)
		_, isAction := stepKeys[Kind(key)]
		if fields[key] != mv || key == "phone" || isAction {
			continue // unknown or repeated (reported), or the action itself
		}
		if !slices.Contains(stepKeys[st.Kind], key) {
			p.errf(line(mv.Key), "%s does not go with %s", key, st.Kind)
		}
	}
	if mv := fields["phone"]; mv != nil {
		st.Phones, _ = p.scalars(mv.Value, line(mv.Key), "phone")
		for _, name := range st.Phones {
			if p.phones != nil && !p.phones[name] {
				p.errf(line(mv.Key), "phone %q: no phone has that name or extension", name)
			}
		}
		if len(st.Phones) > 1 && !strings.HasPrefix(string(st.Kind), "expect_") {
			p.errf(line(mv.Key), "%s acts on one phone; a list of phones is for expect_ steps", st.Kind)
		}
	} else if st.Kind != KindWait {
		p.errf(st.Line, "%s: missing phone", st.Kind)
	}
	action := fields[string(st.Kind)]
	p.action(&st, action.Value, line(action.Key))
	if mv := fields["with"]; mv != nil {
		st.With = p.with(mv)
	}
	st.Within = DefaultWithin
	if mv := fields["within"]; mv != nil {
		st.Within, _ = p.duration(mv.Value, line(mv.Key), "within")
	}
	st.For = DefaultFor
	if mv := fields["for"]; mv != nil {
		st.For, _ = p.duration(mv.Value, line(mv.Key), "for")
	}
	if mv := fields["expect_status"]; mv != nil {
		st.Status, _ = p.integer(mv.Value, line(mv.Key), "expect_status", 100, 599)
	}
	if mv := fields["at"]; mv != nil {
		st.LCD.At = p.lcdPlace(mv)
	}
	return st, len(p.probs) == errs
}

func (p *parse) with(mv *ast.MappingValueNode) map[string]string {
	values, ok := p.mapping(mv.Value, line(mv.Key), "with")
	if !ok {
		return nil
	}
	out := map[string]string{}
	for _, v := range values {
		name := strings.TrimPrefix(keyOf(v), "$")
		if !slices.Contains(emulator.VarNames, name) {
			p.errf(line(v.Key), "with: %q is not one of the 12 variables (%s)", keyOf(v), strings.Join(emulator.VarNames, ", "))
			continue
		}
		out[name], _ = p.scalar(v.Value, line(v.Key), "with."+name)
	}
	return out
}

func (p *parse) lcdPlace(mv *ast.MappingValueNode) string {
	s, ok := p.scalar(mv.Value, line(mv.Key), "at")
	if !ok {
		return ""
	}
	switch {
	case s == "title", s == "F1", s == "F2", s == "F3", s == "F4":
		return s
	case strings.HasPrefix(s, "line "):
		if n, err := strconv.Atoi(s[5:]); err == nil && n >= 1 && n <= 10 {
			return s
		}
	}
	p.errf(line(mv.Key), "at: %q: want title, line N (1-10) or a soft key F1-F4", s)
	return ""
}

// action reads the value of the step's action key.
func (p *parse) action(st *Step, v ast.Node, at int) {
	what := string(st.Kind)
	switch st.Kind {
	case KindURI:
		st.URI, _ = p.scalar(v, at, what)
	case KindPress:
		keys, ok := p.scalars(v, at, what)
		for _, k := range keys {
			if _, err := keypad.Parse(k); err != nil && ok {
				p.errf(lineOr(v, at), "press: %v", err)
			}
		}
		st.Keys = keys
	case KindHook:
		if s, ok := p.scalar(v, at, what); ok {
			switch strings.ToLower(s) {
			case "off", "false":
				st.Hook = "off"
			case "on", "true":
				st.Hook = "on"
			default:
				p.errf(at, "hook: %q: want off (lift) or on (hang up)", s)
			}
		}
	case KindDial:
		if s, ok := p.scalar(v, at, what); ok {
			st.Dial = s
			if s == "" || strings.Trim(s, "0123456789*#") != "" {
				p.errf(at, "dial: %q: the keypad has only 0-9, * and #", s)
			}
		}
	case KindExpectEvent, KindExpectNoEvent:
		if s, ok := p.scalar(v, at, what); ok {
			ev, err := emulator.ParseEventKey(s)
			if err != nil {
				p.errf(at, "%s: %v (one of the 27 event keys, e.g. incoming_call)", what, err)
			}
			st.Event = ev
		}
	case KindExpectState:
		st.State = p.stateChecks(v, at)
	case KindExpectLCD:
		st.LCD.Text, _ = p.scalar(v, at, what)
	case KindWait:
		st.Wait, _ = p.duration(v, at, what)
	case KindSet:
		p.set(st, v, at)
	case KindMWI:
		values, ok := p.mapping(v, at, what)
		if !ok {
			return
		}
		for _, mv := range values {
			switch keyOf(mv) {
			case "new":
				st.MWI.New, _ = p.integer(mv.Value, line(mv.Key), "mwi.new", 0, 9999)
			case "old":
				st.MWI.Old, _ = p.integer(mv.Value, line(mv.Key), "mwi.old", 0, 9999)
			default:
				p.errf(line(mv.Key), "mwi: unknown key %q (want new, old)", keyOf(mv))
			}
		}
	}
}

func (p *parse) set(st *Step, v ast.Node, at int) {
	values, ok := p.mapping(v, at, "set")
	if !ok {
		return
	}
	if len(values) != 1 {
		p.errf(at, "set: one of dnd, forward, ip per step")
		return
	}
	mv := values[0]
	l := line(mv.Key)
	switch keyOf(mv) {
	case "dnd":
		if b, ok := p.boolean(mv.Value, l, "set.dnd"); ok {
			st.Set.DND = &b
		}
	case "ip":
		if s, ok := p.scalar(mv.Value, l, "set.ip"); ok {
			a, err := netip.ParseAddr(s)
			if err != nil || !a.Is4() || !a.IsLoopback() {
				p.errf(l, "set.ip: %q: scenarios move phones within 127.0.0.0/8 only", s)
			}
			st.Set.IP = s
		}
	case "forward":
		st.Set.Forward = p.forward(mv.Value, l)
	default:
		p.errf(l, "set: unknown key %q (want dnd, forward or ip)", keyOf(mv))
	}
}

// forward reads {always: "1003"}, {busy: off}, {no_answer: "1003", after: 3s}.
func (p *parse) forward(v ast.Node, at int) *ForwardSet {
	values, ok := p.mapping(v, at, "set.forward")
	if !ok {
		return nil
	}
	var fs *ForwardSet
	var after time.Duration
	for _, mv := range values {
		l := line(mv.Key)
		switch key := keyOf(mv); key {
		case "always", "busy", "no_answer":
			if fs != nil {
				p.errf(l, "set.forward: one condition per step")
				continue
			}
			kind := map[string]emulator.ForwardKind{"always": emulator.ForwardAlways, "busy": emulator.ForwardBusy, "no_answer": emulator.ForwardNoAnswer}[key]
			target, _ := p.scalar(mv.Value, l, "set.forward."+key)
			if strings.EqualFold(target, "off") || target == "false" {
				target = ""
			}
			fs = &ForwardSet{Kind: kind, Name: key, Target: target}
		case "after":
			after, _ = p.duration(mv.Value, l, "set.forward.after")
		default:
			p.errf(l, "set.forward: unknown key %q (want always, busy or no_answer, and after)", key)
		}
	}
	if fs == nil {
		p.errf(at, "set.forward: give always, busy or no_answer (a target, or off)")
		return nil
	}
	if after != 0 && fs.Kind != emulator.ForwardNoAnswer {
		p.errf(at, "set.forward.after: only for no_answer")
	}
	fs.Timeout = after
	return fs
}
