package landlock

import (
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

func at(line int) ir.Origin {
	return ir.Origin{Pos: diag.Pos{File: "config.toml", Line: line}, Profile: "p"}
}

func rule(base ir.BaseKind, p string, a ir.Access, line int) ir.FSRule {
	return ir.FSRule{Base: base, Path: p, Access: a, Glob: ir.HasGlobMeta(p), Origin: at(line)}
}

func workspacePolicy(extra ...ir.FSRule) *ir.Policy {
	rules := []ir.FSRule{
		rule(ir.BaseRoot, "", ir.Read, 1), rule(ir.BaseWorkspaceRoots, "", ir.Write, 2),
		rule(ir.BaseTmpdir, "", ir.Write, 3), rule(ir.BaseSlashTmp, "", ir.Write, 4),
	}
	return &ir.Policy{Name: "p", FS: ir.FSPolicy{Rules: append(rules, extra...),
		ProtectMetadata: true, ProtectOrigin: ir.Origin{Profile: ":workspace"}},
		Net: ir.DefaultNetPolicy()}
}

func restrictedPolicy(extra ...ir.FSRule) *ir.Policy {
	rules := []ir.FSRule{
		rule(ir.BaseRoot, "", ir.Deny, 1), rule(ir.BaseMinimal, "", ir.Read, 2),
		rule(ir.BaseWorkspaceRoots, "", ir.Write, 3),
	}
	return &ir.Policy{Name: "p", FS: ir.FSPolicy{Rules: append(rules, extra...)}, Net: ir.DefaultNetPolicy()}
}
