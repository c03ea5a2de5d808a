package meta

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/troveml/trove/internal/core"
)

// SearchScope says whose view a search answers from. It restates authz's
// read rule (internal/authz/access.go) as a filter inside each query, so that
// what the caller may not read is never counted, limited or timed.
type SearchScope struct {
	// All reads everything: a site admin, or the embedded store.
	All bool
	// User is the signed-in user's name: it reads its own entity's
	// projects, those of the teams it belongs to (any role), the
	// registries, and public projects. "" (and not All) reads public
	// projects only.
	User string
}

// Search hit kinds.
const (
	HitProject  = "project"
	HitArtifact = "artifact"
	HitVersion  = "version"
	HitRun      = "run"
)

// How a hit matched, best first.
const (
	MatchExact     = "exact"
	MatchPrefix    = "prefix"
	MatchSubstring = "substring"
)

// SearchHit is one thing a search found.
type SearchHit struct {
	Kind  string // HitProject, HitArtifact, HitVersion or HitRun
	Match string // MatchExact, MatchPrefix or MatchSubstring
	// Field is what matched: "name", "alias", "digest", "version" (name:vN
	// or name:alias) or "id" (a run's id).
	Field           string
	Entity, Project string
	// Name is the project's, the artifact's (also of a version) or the
	// run's name.
	Name    string
	Type    string   // artifact type (artifact, version)
	Index   int64    // version index (version)
	Digest  string   // manifest digest (version)
	Aliases []string // the version's aliases, sorted (version)
	RunID   string   // run
	State   string   // run state (run)
}

// MaxSearchLimit bounds the hits one search returns.
const MaxSearchLimit = 100

// maxSearchText bounds the search text, in bytes.
const maxSearchText = 256

// searchPlan is what a search text asks for.
type searchPlan struct {
	text string // lower-cased, trimmed
	raw  string // trimmed, case kept (a run id is matched as is)
	// digest is the hex digits of a digest prefix (6 to 64, lower case),
	// or "" when the text is no digest prefix.
	digest string
	// colName and selector split "name:vN" or "name:alias"; index is N
	// (or -1 for an alias).
	colName, selector string
	index             int64
}

// minDigestPrefix is the shortest digest prefix a search looks up.
const minDigestPrefix = 6

// parseSearch checks and reads a search text.
func parseSearch(text string) (searchPlan, error) {
	raw := strings.TrimSpace(text)
	switch {
	case raw == "":
		return searchPlan{}, core.Errorf(core.ErrInvalid, "search text is empty")
	case len(raw) > maxSearchText:
		return searchPlan{}, core.Errorf(core.ErrInvalid, "search text is %d bytes long, at most %d are allowed", len(raw), maxSearchText)
	case !utf8.ValidString(raw):
		return searchPlan{}, core.Errorf(core.ErrInvalid, "search text is not valid UTF-8")
	case strings.ContainsFunc(raw, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return searchPlan{}, core.Errorf(core.ErrInvalid, "search text contains a control character")
	}
	p := searchPlan{text: strings.ToLower(raw), raw: raw, index: -1}
	hexPart := strings.TrimPrefix(p.text, core.DigestPrefix)
	if n := len(hexPart); n >= minDigestPrefix && n <= 64 && isHex(hexPart) {
		p.digest = hexPart
	}
	if name, sel, ok := strings.Cut(p.text, ":"); ok && p.digest == "" {
		// "entity/project/name:v3" names the collection by its last
		// segment.
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			name = name[i+1:]
		}
		if name != "" && sel != "" {
			p.colName, p.selector = name, sel
			if n, ok := strings.CutPrefix(sel, "v"); ok {
				if i, err := strconv.ParseInt(n, 10, 64); err == nil && i >= 0 && n == strconv.FormatInt(i, 10) {
					p.index = i
				}
			}
		}
	}
	return p, nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// likeEscape escapes s for LIKE ... ESCAPE '\'.
func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// prefixEnd is the exclusive upper bound of the byte range of strings
// starting with p: no valid UTF-8 string starting with p sorts after it
// unless its next character is U+10FFFF itself.
func prefixEnd(p string) string { return p + "\U0010FFFF" }

// readableCTE is authz's read rule as the set of readable project ids.
// Its arguments: all, true, user, user, user.
const readableCTE = `WITH readable AS (
	SELECT p.id, en.name AS entity, p.name AS name FROM projects p JOIN entities en ON en.id = p.entity_id
	WHERE ? OR p.public = ? OR (? <> '' AND (en.name = ? OR en.name = 'registry'
		OR (en.kind = 'team' AND EXISTS (SELECT 1 FROM members m JOIN users u ON u.id = m.user_id
			JOIN entities ue ON ue.id = u.entity_id WHERE m.team_id = en.id AND ue.name = ?)))))
`

func (sc SearchScope) args() []any {
	return []any{sc.All, true, sc.User, sc.User, sc.User}
}

// Search finds, among what scope reads, projects and artifacts whose name
// contains text, versions by alias (exact or prefix), by digest prefix (6
// hex digits or more, "sha256:" optional) or as "name:vN" / "name:alias",
// and runs by name (exact or prefix) or id (exact). Case does not matter
// except in a run id. Hits come exact first, then prefix, then substring;
// within each, projects, artifacts, versions, runs. limit is 1 to
// MaxSearchLimit. Every lookup is an exact match or a prefix range on an
// index, except the substring scans of project and artifact names (tables
// of one row per project or collection, not per version). Nothing found is
// an empty slice, not an error. Safe for concurrent use.
func (s *Store) Search(ctx context.Context, text string, scope SearchScope, limit int) ([]SearchHit, error) {
	if limit < 1 || limit > MaxSearchLimit {
		return nil, core.Errorf(core.ErrInvalid, "search limit %d: want 1 to %d", limit, MaxSearchLimit)
	}
	p, err := parseSearch(text)
	if err != nil {
		return nil, err
	}
	var hits []SearchHit
	versionIDs := map[int]int64{} // index in hits → version id
	b := s.d.binary
	err = s.read(ctx, func(q q) error {
		hits = hits[:0]
		clear(versionIDs)
		run := func(query string, args []any, scan func(rows interface{ Scan(...any) error }) error) error {
			rows, err := q.query(ctx, readableCTE+query, append(scope.args(), args...)...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				if err := scan(rows); err != nil {
					return err
				}
			}
			return rows.Err()
		}
		rank := func(name string) string {
			name = strings.ToLower(name)
			switch {
			case name == p.text:
				return MatchExact
			case strings.HasPrefix(name, p.text):
				return MatchPrefix
			}
			return MatchSubstring
		}
		like := "%" + likeEscape(p.text) + "%"
		prefixLike := likeEscape(p.text) + "%"
		// Projects: a substring of the name.
		err := run(`SELECT r.entity, r.name FROM readable r WHERE lower(r.name) LIKE ? ESCAPE '\'
			ORDER BY CASE WHEN lower(r.name) = ? THEN 0 WHEN lower(r.name) LIKE ? ESCAPE '\' THEN 1 ELSE 2 END, r.entity, r.name LIMIT ?`,
			[]any{like, p.text, prefixLike, limit}, func(rows interface{ Scan(...any) error }) error {
				h := SearchHit{Kind: HitProject, Field: "name"}
				if err := rows.Scan(&h.Entity, &h.Name); err != nil {
					return err
				}
				h.Project, h.Match = h.Name, rank(h.Name)
				hits = append(hits, h)
				return nil
			})
		if err != nil {
			return err
		}
		// Artifacts with a committed version (latest points at the newest
		// one, and only exists while there is one: one key lookup instead of
		// a scan of the versions): a substring of the name.
		err = run(`SELECT r.entity, r.name, c.name, c.type FROM collections c JOIN readable r ON r.id = c.project_id
			WHERE lower(c.name) LIKE ? ESCAPE '\'
				AND EXISTS (SELECT 1 FROM aliases a WHERE a.collection_id = c.id AND a.alias = 'latest')
			ORDER BY CASE WHEN lower(c.name) = ? THEN 0 WHEN lower(c.name) LIKE ? ESCAPE '\' THEN 1 ELSE 2 END, r.entity, r.name, c.name LIMIT ?`,
			[]any{like, p.text, prefixLike, limit}, func(rows interface{ Scan(...any) error }) error {
				h := SearchHit{Kind: HitArtifact, Field: "name"}
				if err := rows.Scan(&h.Entity, &h.Project, &h.Name, &h.Type); err != nil {
					return err
				}
				h.Match = rank(h.Name)
				hits = append(hits, h)
				return nil
			})
		if err != nil {
			return err
		}
		const versionCols = `SELECT v.id, r.entity, r.name, c.name, c.type, v.idx, v.digest`
		scanVersion := func(field string, match func(h SearchHit, extra string) string, extra bool) func(rows interface{ Scan(...any) error }) error {
			return func(rows interface{ Scan(...any) error }) error {
				h := SearchHit{Kind: HitVersion, Field: field}
				var id int64
				var x string
				dst := []any{&id, &h.Entity, &h.Project, &h.Name, &h.Type, &h.Index, &h.Digest}
				if extra {
					dst = append(dst, &x)
				}
				if err := rows.Scan(dst...); err != nil {
					return err
				}
				h.Match = match(h, x)
				versionIDs[len(hits)] = id
				hits = append(hits, h)
				return nil
			}
		}
		// Versions by digest prefix.
		if p.digest != "" {
			lo := core.DigestPrefix + p.digest
			err = run(versionCols+` FROM versions v JOIN collections c ON c.id = v.collection_id JOIN readable r ON r.id = c.project_id
				WHERE v.digest`+b+` >= ? AND v.digest`+b+` < ? AND v.state = 'committed'
				ORDER BY v.digest`+b+`, v.id LIMIT ?`,
				[]any{lo, lo + "g", limit}, scanVersion("digest", func(h SearchHit, _ string) string {
					if !strings.HasPrefix(h.Digest, lo) {
						return "" // dropped below
					}
					if len(p.digest) == 64 {
						return MatchExact
					}
					return MatchPrefix
				}, false))
			if err != nil {
				return err
			}
		}
		// Versions by name:vN or name:alias.
		if p.colName != "" {
			sel := `lower(a.alias)` + b + ` = ?`
			arg := any(p.selector)
			from := ` FROM collections c JOIN readable r ON r.id = c.project_id JOIN versions v ON v.collection_id = c.id
				JOIN aliases a ON a.version_id = v.id`
			if p.index >= 0 {
				sel, arg = `v.idx = ?`, p.index
				from = ` FROM collections c JOIN readable r ON r.id = c.project_id JOIN versions v ON v.collection_id = c.id`
			}
			err = run(versionCols+from+`
				WHERE lower(c.name)`+b+` = ? AND `+sel+` AND v.state = 'committed'
				ORDER BY r.entity, r.name, v.id LIMIT ?`,
				[]any{p.colName, arg, limit}, scanVersion("version", func(SearchHit, string) string { return MatchExact }, false))
			if err != nil {
				return err
			}
		}
		// Versions by alias: exact or prefix.
		err = run(versionCols+`, a.alias FROM aliases a JOIN versions v ON v.id = a.version_id
				JOIN collections c ON c.id = v.collection_id JOIN readable r ON r.id = c.project_id
			WHERE lower(a.alias)`+b+` >= ? AND lower(a.alias)`+b+` < ? AND v.state = 'committed'
			ORDER BY lower(a.alias)`+b+`, v.id LIMIT ?`,
			[]any{p.text, prefixEnd(p.text), limit}, scanVersion("alias", func(_ SearchHit, alias string) string {
				return rank(alias)
			}, true))
		if err != nil {
			return err
		}
		// Runs by name (exact or prefix) or id (exact).
		scanRun := func(field string) func(rows interface{ Scan(...any) error }) error {
			return func(rows interface{ Scan(...any) error }) error {
				h := SearchHit{Kind: HitRun, Field: field}
				if err := rows.Scan(&h.RunID, &h.Entity, &h.Project, &h.Name, &h.State); err != nil {
					return err
				}
				if field == "id" {
					h.Match = MatchExact
				} else {
					h.Match = rank(h.Name)
				}
				hits = append(hits, h)
				return nil
			}
		}
		const runCols = `SELECT ru.id, r.entity, r.name, ru.name, ru.state FROM runs ru JOIN readable r ON r.id = ru.project_id`
		err = run(runCols+` WHERE lower(ru.name)`+b+` >= ? AND lower(ru.name)`+b+` < ?
			ORDER BY lower(ru.name)`+b+`, ru.id LIMIT ?`,
			[]any{p.text, prefixEnd(p.text), limit}, scanRun("name"))
		if err != nil {
			return err
		}
		if err := run(runCols+` WHERE ru.id = ?`, []any{p.raw}, scanRun("id")); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Drop what a range let through but is no match, and repeats (a run
	// found by name and id, a version by alias and digest).
	type key struct {
		kind string
		id   string
	}
	best := map[key]int{}
	out := make([]SearchHit, 0, len(hits))
	var outIDs []int64
	for i, h := range hits {
		if h.Match == "" {
			continue
		}
		var k key
		switch h.Kind {
		case HitVersion:
			k = key{h.Kind, strconv.FormatInt(versionIDs[i], 10)}
		case HitRun:
			k = key{h.Kind, h.RunID}
		default:
			k = key{h.Kind, h.Entity + "/" + h.Project + "/" + h.Name}
		}
		if j, ok := best[k]; ok {
			if matchRank(h.Match) < matchRank(out[j].Match) {
				out[j] = h
			}
			continue
		}
		best[k] = len(out)
		out = append(out, h)
		outIDs = append(outIDs, versionIDs[i])
	}
	order := make([]int, len(out))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if d := matchRank(out[a].Match) - matchRank(out[b].Match); d != 0 {
			return d
		}
		return kindRank(out[a].Kind) - kindRank(out[b].Kind)
	})
	sorted := make([]SearchHit, 0, min(len(out), limit))
	var ids []int64
	for _, i := range order[:min(len(order), limit)] {
		sorted = append(sorted, out[i])
		if out[i].Kind == HitVersion {
			ids = append(ids, outIDs[i])
		}
	}
	if len(ids) > 0 {
		if err := s.fillAliases(ctx, sorted, ids); err != nil {
			return nil, err
		}
	}
	return sorted, nil
}

// fillAliases sets the aliases of the version hits, whose ids are ids in
// order.
func (s *Store) fillAliases(ctx context.Context, hits []SearchHit, ids []int64) error {
	list, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	byID := map[int64][]string{}
	err = s.readOne(ctx, func(q q) error {
		rows, err := q.query(ctx, `SELECT version_id, alias FROM aliases WHERE version_id IN (`+s.d.idList+`) ORDER BY alias`, string(list))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var a string
			if err := rows.Scan(&id, &a); err != nil {
				return err
			}
			byID[id] = append(byID[id], a)
		}
		return rows.Err()
	})
	if err != nil {
		return err
	}
	n := 0
	for i := range hits {
		if hits[i].Kind == HitVersion {
			hits[i].Aliases = byID[ids[n]]
			if hits[i].Aliases == nil {
				hits[i].Aliases = []string{}
			}
			n++
		}
	}
	return nil
}

func matchRank(m string) int {
	switch m {
	case MatchExact:
		return 0
	case MatchPrefix:
		return 1
	}
	return 2
}

func kindRank(k string) int {
	switch k {
	case HitProject:
		return 0
	case HitArtifact:
		return 1
	case HitVersion:
		return 2
	}
	return 3
}
