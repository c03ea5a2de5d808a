package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/troveml/trove"
	"github.com/troveml/trove/internal/core"
)

type lineageOptions struct {
	direction string
	depth     int
	format    string
	json      bool
}

func newLineageCmd(g *globals) *cobra.Command {
	var o lineageOptions
	var sc scope
	cmd := &cobra.Command{
		Use:   "lineage REF|run:ID",
		Short: "Show the lineage graph of a version or a run",
		Long: `Show which runs produced and consumed a version, transitively: upstream (what it
was made from), downstream (what was made from it) or both. --depth N keeps the
nodes at most N edges away (0 = unlimited). Edges point the way data flows:
version -> run that used it, run -> version it logged.

Formats: text (default), json ({"nodes": [...], "edges": [...]}), dot
(Graphviz) and mermaid.`,
		Example: `  trove lineage mnist_model:v0
  trove lineage mnist_dataset:latest --direction downstream --depth 2 --format dot | dot -Tsvg > g.svg
  trove lineage run:3f9x0a2k --format mermaid`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.json {
				o.format = "json"
			}
			switch o.format {
			case "text", "json", "dot", "mermaid":
			default:
				return core.Errorf(core.ErrInvalid, "--format %q: want text, json, dot or mermaid", o.format)
			}
			dir := core.Direction(o.direction)
			if !dir.Valid() {
				return core.Errorf(core.ErrInvalid, "--direction %q: want upstream, downstream or both", o.direction)
			}
			if o.depth < 0 {
				return core.Errorf(core.ErrInvalid, "--depth %d: want 0 (unlimited) or more", o.depth)
			}
			ctx := cmd.Context()
			return withClient(ctx, g, &sc, func(c *trove.Client) error {
				start := args[0]
				var focus string
				if id, ok := strings.CutPrefix(start, "run:"); ok {
					r, err := c.Run(ctx, id)
					if err != nil {
						return err
					}
					focus, start = core.RunNodeID(r.ID), "run:"+r.ID
				} else {
					v, err := c.Artifact(ctx, start)
					if err != nil {
						return err
					}
					focus, start = "artifact:"+v.FullName(), v.FullName()
				}
				gr, err := c.Lineage(ctx, start, trove.LineageOptions{Direction: dir, Depth: o.depth})
				if err != nil {
					return err
				}
				if gr.Nodes == nil {
					gr.Nodes = []trove.Node{}
				}
				if gr.Edges == nil {
					gr.Edges = []trove.Edge{}
				}
				switch o.format {
				case "json":
					return writeJSON(g.stdout, gr)
				case "dot":
					return writeDot(g.stdout, gr, focus)
				case "mermaid":
					return writeMermaid(g.stdout, gr, focus)
				}
				return writeLineageText(g.stdout, gr, focus)
			})
		},
	}
	sc.flags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.direction, "direction", "both", "upstream, downstream or both")
	f.IntVar(&o.depth, "depth", 0, "keep nodes at most N edges away (0 = unlimited)")
	f.StringVar(&o.format, "format", "text", "text, json, dot or mermaid")
	f.BoolVar(&o.json, "json", false, "same as --format json")
	return cmd
}

// kindLabel is what a node shows before its name: the artifact type or the
// run's job type.
func kindLabel(n trove.Node) string {
	if n.Kind == core.KindRun {
		if n.JobType == "" {
			return "run"
		}
		return n.JobType
	}
	return n.Type
}

func writeLineageText(w io.Writer, g trove.Graph, focus string) error {
	names := make(map[string]string, len(g.Nodes))
	tw := table(w)
	fmt.Fprintf(tw, "NODE\tKIND\tTYPE\tDETAIL\tID\n")
	for _, n := range g.Nodes {
		mark := "  "
		if n.ID == focus {
			mark = "* "
		}
		detail := n.State
		if n.Kind == core.KindArtifact {
			detail = strings.Join(n.Aliases, ",")
		}
		names[n.ID] = n.Name
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\n", mark, n.Name, n.Kind, kindLabel(n), detail, n.ID)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(g.Edges) > 0 {
		fmt.Fprintln(w)
	}
	for _, e := range g.Edges {
		fmt.Fprintf(w, "%s -> %s\n", names[e.From], names[e.To])
	}
	return nil
}

// Colours of the lineage graph: artifacts blue, runs green.
const (
	artifactFill, artifactLine = "#dbe8fb", "#1f6feb"
	runFill, runLine           = "#dcf5e0", "#1a7f37"
)

func writeDot(w io.Writer, g trove.Graph, focus string) error {
	var b strings.Builder
	b.WriteString("digraph lineage {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];\n")
	for _, n := range g.Nodes {
		fill, line := artifactFill, artifactLine
		if n.Kind == core.KindRun {
			fill, line = runFill, runLine
		}
		pen := 1
		if n.ID == focus {
			pen = 3
		}
		fmt.Fprintf(&b, "  %s [label=%s, fillcolor=%q, color=%q, penwidth=%d];\n",
			dotQuote(n.ID), dotQuote(kindLabel(n)+"\n"+n.Name), fill, line, pen)
	}
	for _, e := range g.Edges {
		fmt.Fprintf(&b, "  %s -> %s;\n", dotQuote(e.From), dotQuote(e.To))
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// dotQuote quotes s as a Graphviz string.
func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

func writeMermaid(w io.Writer, g trove.Graph, focus string) error {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	ids := make(map[string]string, len(g.Nodes))
	for i, n := range g.Nodes {
		id := fmt.Sprintf("n%d", i)
		ids[n.ID] = id
		class := "artifact"
		if n.Kind == core.KindRun {
			class = "run"
		}
		if n.ID == focus {
			class += "Focus"
		}
		fmt.Fprintf(&b, "  %s[\"%s<br/>%s\"]:::%s\n", id, mermaidEscape(kindLabel(n)), mermaidEscape(n.Name), class)
	}
	for _, e := range g.Edges {
		fmt.Fprintf(&b, "  %s --> %s\n", ids[e.From], ids[e.To])
	}
	fmt.Fprintf(&b, "  classDef artifact fill:%s,stroke:%s\n  classDef run fill:%s,stroke:%s\n", artifactFill, artifactLine, runFill, runLine)
	fmt.Fprintf(&b, "  classDef artifactFocus fill:%s,stroke:%s,stroke-width:3px\n  classDef runFocus fill:%s,stroke:%s,stroke-width:3px\n", artifactFill, artifactLine, runFill, runLine)
	_, err := io.WriteString(w, b.String())
	return err
}

// mermaidEscape makes s safe inside a quoted Mermaid label.
func mermaidEscape(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;").Replace(s)
}
