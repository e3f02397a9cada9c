package exercises

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// object is a JSON object that keeps its keys in file order, so that a
// notebook read and written back is byte for byte the same (the notebooks are
// written by Python's json module with indent=1, which keeps insertion order).
type object []member

type member struct {
	Key   string
	Value json.RawMessage
}

func (o *object) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("want a JSON object, got %v", tok)
	}
	*o = nil
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return err
		}
		*o = append(*o, member{key, v})
	}
	_, err = dec.Token()
	return err
}

func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := marshal(m.Key)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(m.Value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (o object) get(key string) (json.RawMessage, bool) {
	for _, m := range o {
		if m.Key == key {
			return m.Value, true
		}
	}
	return nil, false
}

// set replaces key's value, or appends the key.
func (o *object) set(key string, v json.RawMessage) {
	for i, m := range *o {
		if m.Key == key {
			(*o)[i].Value = v
			return
		}
	}
	*o = append(*o, member{key, v})
}

// marshal encodes v without escaping <, > and & (as Python's json does not).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Notebook is a Jupyter notebook (nbformat 4) read with its key order kept.
type Notebook struct {
	top   object
	Cells []*Cell
}

// Cell is one notebook cell.
type Cell struct{ obj object }

// Type is the cell's type: "code", "markdown" or "raw".
func (c *Cell) Type() string {
	var s string
	if v, ok := c.obj.get("cell_type"); ok {
		_ = json.Unmarshal(v, &s)
	}
	return s
}

// ID is the cell's id ("" when it has none).
func (c *Cell) ID() string {
	var s string
	if v, ok := c.obj.get("id"); ok {
		_ = json.Unmarshal(v, &s)
	}
	return s
}

// Source is the cell's text, its lines joined.
func (c *Cell) Source() string {
	v, _ := c.obj.get("source")
	return JoinText(v)
}

// SetSource stores text as a list of lines, each but the last ending in "\n",
// as Jupyter writes them.
func (c *Cell) SetSource(text string) {
	lines := []string{}
	for text != "" {
		i := strings.IndexByte(text, '\n')
		if i < 0 {
			lines = append(lines, text)
			break
		}
		lines = append(lines, text[:i+1])
		text = text[i+1:]
	}
	v, _ := marshal(lines)
	c.obj.set("source", v)
}

// clearOutputs empties a code cell's outputs and execution count.
func (c *Cell) clearOutputs() {
	if c.Type() != "code" {
		return
	}
	c.obj.set("execution_count", json.RawMessage("null"))
	c.obj.set("outputs", json.RawMessage("[]"))
}

func (c *Cell) clone() *Cell {
	return &Cell{obj: append(object(nil), c.obj...)}
}

// JoinText decodes a notebook text field (a cell's source, an output's
// text), which is either one string or a list of strings; anything else
// decodes as "".
func JoinText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []string
	if json.Unmarshal(raw, &parts) == nil {
		return strings.Join(parts, "")
	}
	return ""
}

// ParseNotebook decodes a notebook.
func ParseNotebook(data []byte) (*Notebook, error) {
	nb := &Notebook{}
	if err := json.Unmarshal(data, &nb.top); err != nil {
		return nil, fmt.Errorf("not a notebook (JSON object): %v", err)
	}
	raw, ok := nb.top.get("cells")
	if !ok {
		return nil, fmt.Errorf("not a notebook: no \"cells\" list")
	}
	var cells []object
	if err := json.Unmarshal(raw, &cells); err != nil {
		return nil, fmt.Errorf("not a notebook: \"cells\": %v", err)
	}
	for _, c := range cells {
		nb.Cells = append(nb.Cells, &Cell{obj: c})
	}
	return nb, nil
}

// ReadNotebook reads and decodes a notebook file.
func ReadNotebook(path string) (*Notebook, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	nb, err := ParseNotebook(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return nb, nil
}

// Marshal encodes the notebook as the repository's notebooks are written
// (Python's json.dump with indent=1 and ensure_ascii=False, and a final
// newline), so that an unchanged notebook comes back byte for byte.
func (nb *Notebook) Marshal() ([]byte, error) {
	cells := make([]object, len(nb.Cells))
	for i, c := range nb.Cells {
		cells[i] = c.obj
	}
	raw, err := marshal(cells)
	if err != nil {
		return nil, err
	}
	top := append(object(nil), nb.top...)
	top.set("cells", raw)
	compact, err := marshal(top)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact, "", " "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// clone copies the notebook and its cells (not the JSON values, which are never
// modified in place).
func (nb *Notebook) clone() *Notebook {
	out := &Notebook{top: append(object(nil), nb.top...)}
	for _, c := range nb.Cells {
		out.Cells = append(out.Cells, c.clone())
	}
	return out
}
