package config

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"github.com/phonesim/phonesim/emulator"
)

// schemaCheck walks the YAML tree along the Go types before anything is
// decoded. goccy/go-yaml's decoder stops at the first problem and names Go
// types; this walk reports every unknown field, every value of the wrong
// type and every unknown event, each with its path and line, and it fills
// the line index that the semantic checks use afterwards.
type schemaCheck struct {
	sink    *errorSink
	anchors map[string][]anchorDef // by name, in document order
	depth   int
	// budget is how many more values the check may visit. Aliases let a
	// small file stand for a huge one ("phones: [*p, *p, ...]" with p's
	// lines aliased again); the decoder would build all of it.
	budget int
}

type anchorDef struct {
	line, col int
	value     ast.Node
}

var (
	durationType   = reflect.TypeFor[time.Duration]()
	actionURLsType = reflect.TypeFor[ActionURLs]()
)

// maxDepth guards against alias chains; the schema itself is 6 levels deep.
const maxDepth = 32

// newSchemaCheck prepares the check of body, parsed from size bytes.
func newSchemaCheck(sink *errorSink, body ast.Node, size int) *schemaCheck {
	c := &schemaCheck{sink: sink, budget: 4*size + 1000, anchors: map[string][]anchorDef{}}
	// YAML anchors may be defined anywhere, even under a key the schema
	// rejects, and redefined later: an alias refers to the last definition
	// before it.
	ast.Walk(anchorCollector{c}, body)
	return c
}

type anchorCollector struct{ c *schemaCheck }

func (a anchorCollector) Visit(n ast.Node) ast.Visitor {
	if an, ok := n.(*ast.AnchorNode); ok && an.Name != nil && an.Value != nil {
		name, pos := an.Name.GetToken().Value, an.GetToken().Position
		a.c.anchors[name] = append(a.c.anchors[name], anchorDef{
			line: pos.Line, col: pos.Column, value: an.Value,
		})
	}
	return a
}

// resolve strips anchors and follows aliases; nil means YAML null.
func (c *schemaCheck) resolve(n ast.Node) (ast.Node, error) {
	for range maxDepth {
		switch v := n.(type) {
		case nil:
			return nil, nil
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			if v.Value == nil {
				return nil, fmt.Errorf("alias without a name")
			}
			name := v.Value.GetToken().Value
			pos := v.GetToken().Position
			var found ast.Node
			for _, a := range c.anchors[name] {
				if a.line < pos.Line || a.line == pos.Line && a.col < pos.Column {
					found = a.value
				}
			}
			if found == nil {
				return nil, fmt.Errorf("alias *%s: no anchor &%s before it", name, name)
			}
			n = found
		case *ast.NullNode:
			return nil, nil
		default:
			return n, nil
		}
	}
	return nil, fmt.Errorf("aliases nested too deeply")
}

// check verifies that node can be decoded into a value of type t at path;
// line is where the key or list item that holds it starts.
func (c *schemaCheck) check(path string, line int, t reflect.Type, node ast.Node) {
	if c.budget <= 0 {
		return
	}
	if c.budget--; c.budget == 0 {
		c.sink.at(line, path, "aliases expand the file to too many values")
		return
	}
	if _, seen := c.sink.lines[path]; !seen {
		c.sink.lines[path] = line
	}
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > maxDepth {
		c.sink.at(line, path, "nested too deeply")
		return
	}
	n, err := c.resolve(node)
	if err != nil {
		c.sink.at(line, path, "%v", err)
		return
	}
	if n == nil {
		return // null: the zero value, judged by the semantic checks
	}
	switch {
	case t == durationType:
		s, ok := c.scalarString(path, line, n, "a duration such as \"5s\"")
		if ok {
			if _, err := time.ParseDuration(s); err != nil {
				c.sink.at(line, path, "%q is not a duration (such as \"5s\" or \"500ms\")", s)
			}
		}
	case t == actionURLsType:
		c.checkActionURLs(path, line, n)
	case t.Kind() == reflect.Pointer:
		c.check(path, line, t.Elem(), n)
	case t.Kind() == reflect.Struct:
		c.checkStruct(path, line, t, n)
	case t.Kind() == reflect.Slice:
		c.checkSlice(path, line, t, n)
	case t.Kind() == reflect.Map:
		c.eachKey(path, line, n, func(key string, keyLine int, value ast.Node) {
			c.check(childPath(path, key), keyLine, t.Elem(), value)
		})
	case t.Kind() == reflect.String:
		c.scalarString(path, line, n, "a string")
	case t.Kind() == reflect.Int:
		v, _, _, _ := scalar(n)
		switch v := v.(type) {
		case int64:
			if int64(int(v)) == v {
				return
			}
			c.sink.at(line, path, "%s is out of range", literal(n))
		case uint64:
			if v <= math.MaxInt {
				return
			}
			c.sink.at(line, path, "%s is out of range", literal(n))
		default:
			c.sink.at(line, path, "expected a whole number, got %s", describe(n))
		}
	case t.Kind() == reflect.Bool:
		if v, _, _, _ := scalar(n); v != true && v != false {
			c.sink.at(line, path, "expected true or false, got %s", describe(n))
		}
	default:
		panic("config: no schema rule for " + t.String())
	}
}

// checkStruct checks a mapping against the yaml tags of struct type t.
func (c *schemaCheck) checkStruct(path string, line int, t reflect.Type, n ast.Node) {
	fields := fieldsOf(t)
	c.eachKey(path, line, n, func(key string, keyLine int, value ast.Node) {
		ft, ok := fields.types[key]
		if !ok {
			c.sink.at(keyLine, childPath(path, key), "unknown field%s", suggest(key, fields.names))
			return
		}
		c.check(childPath(path, key), keyLine, ft, value)
	})
}

// yamlFields are the YAML keys of a struct type and their Go types.
type yamlFields struct {
	types map[string]reflect.Type
	names []string
}

var fieldCache sync.Map // reflect.Type -> yamlFields

// fieldsOf reads the yaml tags of struct type t as goccy/go-yaml does: the
// name before the first comma, "-" to skip a field.
func fieldsOf(t reflect.Type) yamlFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(yamlFields)
	}
	f := yamlFields{types: map[string]reflect.Type{}}
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if name == "-" || !sf.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(sf.Name)
		}
		f.types[name] = sf.Type
		f.names = append(f.names, name)
	}
	fieldCache.Store(t, f)
	return f
}

func (c *schemaCheck) checkSlice(path string, line int, t reflect.Type, n ast.Node) {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		c.sink.at(line, path, "expected a list, got %s", describe(n))
		return
	}
	for i, item := range seq.Values {
		itemLine := line
		if i < len(seq.Entries) && seq.Entries[i] != nil && seq.Entries[i].Start != nil {
			itemLine = seq.Entries[i].Start.Position.Line
		} else if item != nil && item.GetToken() != nil {
			itemLine = item.GetToken().Position.Line
		}
		c.check(indexPath(path, i), itemLine, t.Elem(), item)
	}
}

// checkActionURLs checks the event keys; the URLs themselves are checked
// with the other semantic rules.
func (c *schemaCheck) checkActionURLs(path string, line int, n ast.Node) {
	c.eachKey(path, line, n, func(key string, keyLine int, value ast.Node) {
		p := childPath(path, key)
		if _, err := emulator.ParseEventKey(key); err != nil {
			c.sink.at(keyLine, p, "unknown event%s", suggest(key, eventKeys()))
			return
		}
		c.check(p, keyLine, reflect.TypeFor[string](), value)
	})
}

// eachKey calls fn for every key of mapping n, following YAML merge keys
// ("<<: *defaults"). As goccy/go-yaml decodes them, "<<" must come first
// and the keys after it override the merged ones.
func (c *schemaCheck) eachKey(path string, line int, n ast.Node, fn func(key string, keyLine int, value ast.Node)) {
	var pairs []*ast.MappingValueNode
	if !c.collectPairs(path, line, n, &pairs) {
		return
	}
	type pair struct {
		key string
		kv  *ast.MappingValueNode
	}
	var order []pair
	last := map[string]int{} // key -> index in order
	for _, kv := range pairs {
		key, ok := c.keyString(path, kv)
		if !ok {
			continue
		}
		if i, seen := last[key]; seen {
			order[i].kv = kv // a later key overrides a merged one
			continue
		}
		last[key] = len(order)
		order = append(order, pair{key, kv})
	}
	for _, p := range order {
		fn(p.key, keyLine(p.kv, line), p.kv.Value)
	}
}

// collectPairs appends the key/value pairs of mapping n to pairs, merged
// ones first.
func (c *schemaCheck) collectPairs(path string, line int, n ast.Node, pairs *[]*ast.MappingValueNode) bool {
	m, ok := n.(ast.MapNode)
	if !ok {
		c.sink.at(line, path, "expected a mapping (key: value), got %s", describe(n))
		return false
	}
	iter := m.MapRange()
	for i := 0; iter.Next(); i++ {
		kv := iter.KeyValue()
		if kv.Key == nil || !kv.Key.IsMergeKey() {
			*pairs = append(*pairs, kv)
			continue
		}
		kl := keyLine(kv, line)
		if i != 0 {
			c.sink.at(kl, path, "<<: a merge key must come first in its mapping (the keys after it override the merged ones)")
			continue
		}
		c.depth++
		if c.depth > maxDepth {
			c.sink.at(kl, path, "<<: merges nested too deeply")
		} else if v, err := c.resolve(kv.Value); err != nil {
			c.sink.at(kl, path, "<<: %v", err)
		} else if _, isMap := v.(ast.MapNode); !isMap {
			c.sink.at(kl, path, "<<: expected a mapping to merge (<<: *name), got %s", describe(v))
		} else {
			c.collectPairs(path, kl, v, pairs)
		}
		c.depth--
	}
	return true
}

// keyString is the text of a mapping key. Keys must be scalars, and like
// values (see scalarString) a bare 0123 must be quoted.
func (c *schemaCheck) keyString(path string, kv *ast.MappingValueNode) (string, bool) {
	var key ast.Node = kv.Key
	if mk, ok := key.(*ast.MappingKeyNode); ok { // "? key" syntax
		key = mk.Value
	}
	line := keyLine(kv, 0)
	k, err := c.resolve(key)
	switch {
	case err != nil:
		c.sink.at(line, path, "%v", err)
		return "", false
	case k == nil:
		return "", true // a null key: "unknown field" reports it
	}
	switch k.(type) {
	case *ast.MappingNode, *ast.MappingValueNode, *ast.SequenceNode:
		c.sink.at(line, path, "a key must be a plain name, got %s", describe(k))
		return "", false
	}
	v, text, asWritten, ok := scalar(k)
	if !ok {
		c.sink.at(line, path, "a key must be a plain name, got %s", describe(k))
		return "", false
	}
	if !asWritten {
		lit := literal(k)
		c.sink.at(line, path, "YAML reads the key %s as %v; write it in quotes: %q", lit, v, lit)
		return "", false
	}
	return text, true
}

// scalarString checks that n holds text. YAML reads some bare words as
// numbers or booleans; goccy/go-yaml would turn 0123 into "83" and 2.10
// into "2.1", so a value whose text would change must be quoted.
func (c *schemaCheck) scalarString(path string, line int, n ast.Node, want string) (string, bool) {
	v, text, asWritten, ok := scalar(n)
	if !ok {
		c.sink.at(line, path, "expected %s, got %s", want, describe(n))
		return "", false
	}
	if !asWritten {
		lit := literal(untag(n))
		c.sink.at(line, path, "YAML reads %s as %v; write it in quotes: %q", lit, v, lit)
		return "", false
	}
	return text, true
}

// scalar returns the value goccy/go-yaml reads from scalar node n, the
// text it stores for it in a string field, and whether that text is the
// one written: quoted strings always are, a bare 0123 is not (it reads
// 83). ok is false when n is not a scalar. The common node types are read
// directly, mirroring the decoder's conversion (decode.go convertValue);
// NodeToValue, much slower, handles the rest.
func scalar(n ast.Node) (v any, text string, asWritten, ok bool) {
	switch n := n.(type) {
	case *ast.StringNode:
		return n.Value, n.Value, true, true
	case *ast.LiteralNode:
		if n.Value == nil {
			return nil, "", false, false
		}
		return n.Value.Value, n.Value.Value, true, true
	case *ast.IntegerNode:
		switch iv := n.Value.(type) {
		case int64:
			text = strconv.FormatInt(iv, 10)
		case uint64:
			text = strconv.FormatUint(iv, 10)
		default:
			return nil, "", false, false
		}
		return n.Value, text, text == literal(n), true
	case *ast.FloatNode:
		text = fmt.Sprint(n.Value)
		return n.Value, text, text == literal(n), true
	case *ast.BoolNode:
		text = strconv.FormatBool(n.Value)
		return n.Value, text, text == literal(n), true
	case *ast.MappingNode, *ast.MappingValueNode, *ast.SequenceNode, nil:
		return nil, "", false, false
	}
	if yaml.NodeToValue(n, &v) != nil || yaml.NodeToValue(n, &text) != nil {
		return nil, "", false, false
	}
	switch v.(type) {
	case string:
		switch untag(n).(type) {
		case *ast.StringNode, *ast.LiteralNode:
			return v, text, true, true
		}
	case int64, uint64, float64, bool:
	default:
		return nil, "", false, false
	}
	return v, text, text == literal(untag(n)), true
}

// untag strips a YAML tag ("!!str 0123" -> 0123).
func untag(n ast.Node) ast.Node {
	if tag, ok := n.(*ast.TagNode); ok && tag.Value != nil {
		return tag.Value
	}
	return n
}

func keyLine(kv *ast.MappingValueNode, fallback int) int {
	if kv.Key != nil {
		if tk := kv.Key.GetToken(); tk != nil {
			return tk.Position.Line
		}
	}
	if tk := kv.GetToken(); tk != nil {
		return tk.Position.Line
	}
	return fallback
}

// literal is a scalar's text as written.
func literal(n ast.Node) string {
	if n == nil || n.GetToken() == nil {
		return ""
	}
	return n.GetToken().Value
}

// describe names what a node is for "expected X, got Y".
func describe(n ast.Node) string {
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return "nothing (null)"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.TagNode:
		return describe(v.Value)
	case *ast.StringNode:
		return fmt.Sprintf("%q", short(v.Value))
	case *ast.LiteralNode:
		return "a block of text"
	}
	return short(literal(n))
}

// short cuts s to at most 60 runes for an error message.
func short(s string) string {
	const limit = 60
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	return string([]rune(s)[:limit]) + "..."
}

func eventKeys() []string {
	var keys []string
	for _, ev := range emulator.ActionEvents() {
		keys = append(keys, ev.Key())
	}
	return keys
}

// suggest is " (did you mean X?)" for the closest known name, or the list
// of known names when none is close.
func suggest(key string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(key), k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %s?)", best)
	}
	sorted := slices.Sorted(slices.Values(known))
	return " (known: " + strings.Join(sorted, ", ") + ")"
}

// editDistance is the Levenshtein distance, for typo suggestions.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
