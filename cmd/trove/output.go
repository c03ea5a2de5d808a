package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/troveml/trove"
)

// writeJSON prints v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// table returns a writer that aligns tab-separated columns; Flush it.
func table(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

// runRefJSON names a run in JSON output.
type runRefJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// versionJSON is a version in JSON output (artifact versions, put --json).
type versionJSON struct {
	Ref         string         `json:"ref"` // entity/project/name:vN
	Entity      string         `json:"entity"`
	Project     string         `json:"project"`
	Name        string         `json:"name"`
	Type        string         `json:"type"`
	Version     string         `json:"version"`
	Digest      string         `json:"digest"`
	Aliases     []string       `json:"aliases"`
	Description string         `json:"description"`
	Metadata    map[string]any `json:"metadata"`
	Size        int64          `json:"size"`
	FileCount   int            `json:"file_count"`
	State       string         `json:"state"`
	CreatedAt   time.Time      `json:"created_at"`
	Source      string         `json:"source,omitempty"`     // the version a registry link links
	ExpiresAt   *time.Time     `json:"expires_at,omitempty"` // created_at + ttl; absent when it never expires
}

// infoJSON is the output of artifact info --json.
type infoJSON struct {
	versionJSON
	LoggedBy *runRefJSON  `json:"logged_by"`
	UsedBy   []runRefJSON `json:"used_by"`
}

func toVersionJSON(v *trove.Version) versionJSON {
	out := versionJSON{
		Ref: v.FullName(), Entity: v.Entity, Project: v.Project, Name: v.Name, Type: v.Type,
		Version: v.Label(), Digest: v.Digest.String(), Aliases: v.Aliases, Description: v.Description,
		Metadata: v.Metadata, Size: v.Size, FileCount: v.FileCount, State: v.State, CreatedAt: v.CreatedAt.UTC(),
		Source: v.Source,
	}
	if v.ExpiresAt != nil {
		t := v.ExpiresAt.UTC()
		out.ExpiresAt = &t
	}
	return out
}

// versionInfo gathers what artifact info prints.
func versionInfo(ctx context.Context, v *trove.Version) (infoJSON, error) {
	info := infoJSON{versionJSON: toVersionJSON(v), UsedBy: []runRefJSON{}}
	by, err := v.LoggedBy(ctx)
	if err != nil {
		return info, err
	}
	if by != nil {
		info.LoggedBy = &runRefJSON{ID: by.ID, Name: by.Name}
	}
	users, err := v.UsedBy(ctx)
	if err != nil {
		return info, err
	}
	for _, r := range users {
		info.UsedBy = append(info.UsedBy, runRefJSON{ID: r.ID, Name: r.Name})
	}
	return info, nil
}

// count says how many of a thing, singular or plural: 1 file, 2 files.
func count(n int64, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// humanSize formats bytes for people: 1.5 MiB.
func humanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
