// Package frontend reads permission-profile TOML into ir.Config, keeping
// the position of every key and value.
//
// It is strict inside [permissions] and in requirements files: an unknown
// key is an error with a did-you-mean, and a Codex key permc does not
// enforce is an error that says so. Top-level Codex settings unrelated to
// sandboxing are ignored, so a Codex config.toml loads as it is.
//
// The frontend checks shapes and types only. What values mean (is this a
// valid access, path or host pattern?) is decided by the passes.
package frontend

import (
	"fmt"
	"sort"
	"strings"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// ParseLayer reads one config file.
func ParseLayer(file string, data []byte, k ir.LayerKind) (*ir.Layer, diag.List) {
	root, diags := parseTOML(file, data)
	if root == nil {
		return nil, diags
	}
	r := &reader{file: file, diags: diags}
	l := &ir.Layer{File: file, Kind: k}
	for _, key := range root.keys {
		v := root.fields[key]
		switch key {
		case "default_permissions":
			l.DefaultPermissions = r.str(v, key)
		case "sandbox_mode":
			l.SandboxMode = r.str(v, key)
		case "profile":
			l.ConfigProfile = r.str(v, key)
		case "sandbox_workspace_write":
			l.SandboxWorkspaceWrite = r.sww(v, key)
		case "profiles":
			l.ConfigProfiles = r.configProfiles(v)
		case "permissions":
			l.Profiles = r.profiles(v, file, k, false)
		}
	}
	return l, r.diags
}

type reader struct {
	file  string
	diags diag.List
}

func (r *reader) typeErr(v *value, key, want string) {
	r.diags.Errorf(v.pos, diag.Type, "%s must be %s, not %s",
		key, withArticle(want), withArticle(fmt.Sprint(v.kind)))
}

// withArticle puts "a" or "an" before a noun phrase.
func withArticle(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

func (r *reader) str(v *value, key string) *ir.String {
	if v.kind != kString {
		r.typeErr(v, key, "string")
		return nil
	}
	return &ir.String{Value: v.str, KeyPos: v.keyPos, Pos: v.pos}
}

func (r *reader) boolean(v *value, key string) *ir.Bool {
	if v.kind != kBool {
		r.typeErr(v, key, "boolean")
		return nil
	}
	return &ir.Bool{Value: v.b, KeyPos: v.keyPos, Pos: v.pos}
}

func (r *reader) integer(v *value, key string) *ir.Int {
	if v.kind != kInt {
		r.typeErr(v, key, "integer")
		return nil
	}
	return &ir.Int{Value: v.i, KeyPos: v.keyPos, Pos: v.pos}
}

func (r *reader) table(v *value, key string) bool {
	if v.kind != kTable {
		r.typeErr(v, key, "table")
		return false
	}
	return true
}

func (r *reader) strList(v *value, key string) *ir.StringList {
	if v.kind != kArray {
		r.typeErr(v, key, "list of strings")
		return nil
	}
	l := &ir.StringList{KeyPos: v.keyPos}
	for _, e := range v.elems {
		if s := r.str(e, key+" entry"); s != nil {
			s.KeyPos = v.keyPos
			l.Values = append(l.Values, *s)
		}
	}
	return l
}

func (r *reader) sww(v *value, key string) *ir.SandboxWorkspaceWrite {
	if !r.table(v, key) {
		return nil
	}
	s := &ir.SandboxWorkspaceWrite{Pos: v.keyPos}
	for _, k := range v.keys {
		f := v.fields[k]
		switch k {
		case "writable_roots":
			if l := r.strList(f, k); l != nil {
				s.WritableRoots = l.Values
			}
		case "network_access":
			s.NetworkAccess = r.boolean(f, k)
		case "exclude_tmpdir_env_var":
			s.ExcludeTmpdirEnvVar = r.boolean(f, k)
		case "exclude_slash_tmp":
			s.ExcludeSlashTmp = r.boolean(f, k)
		default:
			r.unknown(f, k, "sandbox_workspace_write", swwKeys)
		}
	}
	return s
}

var swwKeys = []string{"writable_roots", "network_access", "exclude_tmpdir_env_var", "exclude_slash_tmp"}

func (r *reader) configProfiles(v *value) []*ir.ConfigProfile {
	if !r.table(v, "profiles") {
		return nil
	}
	var out []*ir.ConfigProfile
	for _, name := range v.keys {
		t := v.fields[name]
		if t.kind != kTable {
			continue // not ours to judge: Codex validates its own profiles
		}
		cp := &ir.ConfigProfile{Name: name, Pos: t.keyPos}
		for _, k := range t.keys {
			f := t.fields[k]
			switch k {
			case "sandbox_mode":
				cp.SandboxMode = r.str(f, k)
			case "default_permissions":
				cp.DefaultPermissions = r.str(f, k)
			case "sandbox_workspace_write":
				cp.SandboxWorkspaceWrite = r.sww(f, k)
			}
		}
		out = append(out, cp)
	}
	return out
}

// profiles reads the [permissions] table.
func (r *reader) profiles(v *value, file string, k ir.LayerKind, managed bool) []*ir.ProfileDecl {
	if !r.table(v, "permissions") {
		return nil
	}
	var out []*ir.ProfileDecl
	for _, name := range v.keys {
		t := v.fields[name]
		if !r.table(t, "permissions."+quoteKey(name)) {
			continue
		}
		out = append(out, r.profile(name, t, file, k, managed))
	}
	return out
}

var profileKeys = []string{"description", "extends", "workspace_roots", "filesystem", "network"}

func (r *reader) profile(name string, t *value, file string, k ir.LayerKind, managed bool) *ir.ProfileDecl {
	p := &ir.ProfileDecl{Name: name, Pos: t.keyPos, File: file, Layer: k, Managed: managed}
	for _, key := range t.keys {
		f := t.fields[key]
		switch key {
		case "description":
			p.Description = r.str(f, key)
		case "extends":
			p.Extends = r.str(f, key)
		case "workspace_roots":
			p.WorkspaceRoots = r.roots(f)
		case "filesystem":
			p.Filesystem = r.filesystem(f)
		case "network":
			p.Network = r.network(f)
		default:
			r.unknown(f, key, "permissions."+quoteKey(name), profileKeys)
		}
	}
	return p
}

func (r *reader) roots(v *value) []ir.RootDecl {
	if !r.table(v, "workspace_roots") {
		return nil
	}
	var out []ir.RootDecl
	for _, k := range v.keys {
		f := v.fields[k]
		if b := r.boolean(f, "workspace_roots."+quoteKey(k)); b != nil {
			out = append(out, ir.RootDecl{Path: k, Enabled: b.Value, KeyPos: f.keyPos, Pos: f.pos})
		}
	}
	return out
}

func (r *reader) filesystem(v *value) *ir.FilesystemDecl {
	if !r.table(v, "filesystem") {
		return nil
	}
	fs := &ir.FilesystemDecl{Pos: v.keyPos}
	for _, k := range v.keys {
		f := v.fields[k]
		switch {
		case k == "glob_scan_max_depth":
			fs.GlobScanMaxDepth = r.integer(f, k)
		case f.kind == kString:
			fs.Entries = append(fs.Entries, ir.FSEntryDecl{
				Path: k, Access: f.str, KeyPos: f.keyPos, Pos: f.pos})
		case f.kind == kTable:
			for _, sub := range f.keys {
				s := f.fields[sub]
				if s.kind != kString {
					r.typeErr(s, "filesystem."+quoteKey(k)+"."+quoteKey(sub), "string access value")
					continue
				}
				fs.Entries = append(fs.Entries, ir.FSEntryDecl{
					Path: k, Sub: sub, Scoped: true, Access: s.str, KeyPos: s.keyPos, Pos: s.pos})
			}
		default:
			r.typeErr(f, "filesystem."+quoteKey(k), "string access value or a table of subpaths")
		}
	}
	return fs
}

var networkKeys = []string{
	"enabled", "domains", "unix_sockets", "proxy_url", "enable_socks5", "socks_url",
	"enable_socks5_udp", "allow_upstream_proxy", "allow_local_binding",
	"dangerously_allow_non_loopback_proxy", "dangerously_allow_all_unix_sockets",
}

// unsupportedNetworkKeys are Codex network settings permc does not enforce.
var unsupportedNetworkKeys = map[string]string{
	"mode":               "permc has no limited (read-only method) network mode",
	"allowed_domains":    "use the domains table with \"allow\" values",
	"denied_domains":     "use the domains table with \"deny\" values",
	"allow_unix_sockets": "use the unix_sockets table",
	"admin_url":          "permc's proxy has no admin listener",
	"enable_admin":       "permc's proxy has no admin listener",
	"mitm":               "permc's proxy does not intercept TLS",
}

func (r *reader) network(v *value) *ir.NetworkDecl {
	if !r.table(v, "network") {
		return nil
	}
	n := &ir.NetworkDecl{Pos: v.keyPos}
	for _, k := range v.keys {
		f := v.fields[k]
		switch k {
		case "enabled":
			n.Enabled = r.boolean(f, k)
		case "domains":
			n.Domains = r.kvTable(f, k)
		case "unix_sockets":
			n.UnixSockets = r.kvTable(f, k)
		case "proxy_url":
			n.ProxyURL = r.str(f, k)
		case "enable_socks5":
			n.EnableSOCKS5 = r.boolean(f, k)
		case "socks_url":
			n.SOCKSURL = r.str(f, k)
		case "enable_socks5_udp":
			n.EnableSOCKS5UDP = r.boolean(f, k)
		case "allow_upstream_proxy":
			n.AllowUpstreamProxy = r.boolean(f, k)
		case "allow_local_binding":
			n.AllowLocalBinding = r.boolean(f, k)
		case "dangerously_allow_non_loopback_proxy":
			n.DangerouslyAllowNonLoopbackProxy = r.boolean(f, k)
		case "dangerously_allow_all_unix_sockets":
			n.DangerouslyAllowAllUnixSockets = r.boolean(f, k)
		default:
			if why, ok := unsupportedNetworkKeys[k]; ok {
				r.diags.Errorf(f.keyPos, diag.UnsupportedKey,
					"network key %q is not supported by permc and would not be enforced; %s", k, why)
				continue
			}
			r.unknown(f, k, "network", networkKeys)
		}
	}
	return n
}

func (r *reader) kvTable(v *value, key string) *ir.KVTable {
	if !r.table(v, key) {
		return nil
	}
	t := &ir.KVTable{Pos: v.keyPos}
	for _, k := range v.keys {
		f := v.fields[k]
		if f.kind != kString {
			r.typeErr(f, key+"."+quoteKey(k), "string (\"allow\" or \"deny\")")
			continue
		}
		t.Entries = append(t.Entries, ir.KV{Key: k, Value: f.str, KeyPos: f.keyPos, Pos: f.pos})
	}
	return t
}

// unknown reports an unknown key with the closest known one.
func (r *reader) unknown(v *value, key, where string, known []string) {
	d := r.diags.Errorf(v.keyPos, diag.UnknownKey, "unknown key %q in %s", key, where)
	if s := closest(key, known); s != "" {
		d.Message += "; did you mean \"" + s + "\"?"
	} else {
		cp := append([]string(nil), known...)
		sort.Strings(cp)
		d.Message += "; expected one of " + joinQuoted(cp)
	}
}
