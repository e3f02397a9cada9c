// Command logo draws the "Go (gofm)" kernel's logo, which JupyterLab shows on the
// launcher's cards: four streamlines that carry noise samples (left, blue) to a
// two-mode data distribution (right, orange), the picture of a flow-matching model.
//
// One drawing, three files: logo-svg.svg, logo-64x64.png and logo-32x32.png, the
// names a kernelspec folder uses for its logos. kernel/install.sh copies them into the
// kernelspec. Regenerate after a change with
//
//	go run ./kernel/logo -out kernel/logo
//
// and TestLogoUpToDate fails while the committed files differ from the drawing.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"image/color"
	"os"
	"path/filepath"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// The drawing lives in a 64 x 64 box, y pointing up (vg's convention).
const box = 64

var (
	background = color.RGBA{0x15, 0x31, 0x5b, 0xff}  // deep blue
	stream     = color.NRGBA{0xff, 0xff, 0xff, 0xe6} // white, slightly see-through (not premultiplied)
	noise      = color.RGBA{0x6f, 0xd6, 0xff, 0xff}  // light blue: samples of p_0
	data       = color.RGBA{0xff, 0xa9, 0x3b, 0xff}  // orange: samples of the data
)

// paths: start height (noise) and end height (data) of each streamline. The ends
// pair up into two modes, at heights 19-26.5 and 37.5-45.
var paths = [][2]float64{{52, 45}, {39, 37.5}, {25, 26.5}, {12, 19}}

// draw paints the logo on c, scaled from the 64-unit box to size.
func drawLogo(c vg.Canvas, size float64) {
	s := size / box
	pt := func(x, y float64) vg.Point { return vg.Point{X: vg.Length(x * s), Y: vg.Length(y * s)} }

	// Rounded square, corner radius 12.
	const r = 12
	var bg vg.Path
	bg.Move(pt(r, 0))
	bg.Line(pt(box-r, 0))
	bg.Arc(pt(box-r, r), vg.Length(r*s), -0.5*pi, 0.5*pi)
	bg.Line(pt(box, box-r))
	bg.Arc(pt(box-r, box-r), vg.Length(r*s), 0, 0.5*pi)
	bg.Line(pt(r, box))
	bg.Arc(pt(r, box-r), vg.Length(r*s), 0.5*pi, 0.5*pi)
	bg.Line(pt(0, r))
	bg.Arc(pt(r, r), vg.Length(r*s), pi, 0.5*pi)
	bg.Close()
	c.SetColor(background)
	c.Fill(bg)

	// Streamlines: cubic curves, horizontal at both ends, from x = 12 to x = 52.
	c.SetColor(stream)
	c.SetLineWidth(vg.Length(3.2 * s))
	for _, p := range paths {
		var l vg.Path
		l.Move(pt(12, p[0]))
		l.CubeTo(pt(30, p[0]), pt(34, p[1]), pt(52, p[1]))
		c.Stroke(l)
	}
	// End points: noise on the left, data on the right.
	for _, p := range paths {
		dot(c, pt(12, p[0]), 3.8*s, noise)
		dot(c, pt(52, p[1]), 3.8*s, data)
	}
}

const pi = 3.141592653589793

func dot(c vg.Canvas, at vg.Point, radius float64, col color.Color) {
	var p vg.Path
	p.Move(vg.Point{X: at.X + vg.Length(radius), Y: at.Y})
	p.Arc(at, vg.Length(radius), 0, 2*pi)
	p.Close()
	c.SetColor(col)
	c.Fill(p)
}

// render returns the logo's files by name.
func render() (map[string][]byte, error) {
	files := map[string][]byte{}
	svg := vgsvg.New(box, box)
	drawLogo(svg, box)
	var buf bytes.Buffer
	if _, err := svg.WriteTo(&buf); err != nil {
		return nil, err
	}
	files["logo-svg.svg"] = buf.Bytes()
	for _, px := range []int{32, 64} {
		// 72 dpi: one vg point is one pixel.
		img := vgimg.NewWith(vgimg.UseWH(vg.Length(px), vg.Length(px)), vgimg.UseDPI(72),
			vgimg.UseBackgroundColor(color.Transparent))
		drawLogo(img, float64(px))
		var b bytes.Buffer
		if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&b); err != nil {
			return nil, err
		}
		files[fmt.Sprintf("logo-%dx%d.png", px, px)] = b.Bytes()
	}
	return files, nil
}

func main() {
	out := flag.String("out", "kernel/logo", "folder to write logo-svg.svg, logo-64x64.png and logo-32x32.png into")
	flag.Parse()
	files, err := render()
	if err != nil {
		fmt.Fprintln(os.Stderr, "logo:", err)
		os.Exit(1)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(*out, name), b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "logo:", err)
			os.Exit(1)
		}
		fmt.Println("wrote", filepath.Join(*out, name))
	}
}
