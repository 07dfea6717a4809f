package e2e

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// otherSettings are replayed after the defaults: each is the Kubewarden policy's settings and,
// unchanged, the spec of the binding's parameters (the settings the Gatekeeper parity tests use).
var otherSettings = map[string][]map[string]any{
	"antrea-agent-status-updates": {
		{"nodeBinding": "required"},
		{"mode": "status-and-labels", "nodeBinding": "disabled"},
		{"allowedAnnotationKeys": []any{"node.antrea.io/", "nodeportlocal.antrea.io"}},
	},
	"antrea-hostpath-guard": {
		{"procIndirection": false, "checkPersistentVolumes": false},
		{"exemptions": []any{map[string]any{"namespace": "monitoring", "serviceAccountName": "node-exporter"}},
			"exemptGroups": []any{"system:masters"}},
		{"protectedPaths": []any{"/srv/antrea"}, "equivalentPaths": []any{[]any{"/srv", "/var/log"}}},
	},
	"antrea-controller-placement": {
		{"mode": "validate", "checkWorkloads": true},
		{"secureNodes": []any{map[string]any{"key": "pool", "operator": "In", "values": []any{"system"}}},
			"tolerations": []any{map[string]any{"key": "pool", "operator": "Equal", "value": "system", "effect": "NoSchedule"}}},
	},
}

var paramKinds = map[string]string{
	"antrea-agent-status-updates": "AntreaAgentStatusUpdates",
	"antrea-hostpath-guard":       "AntreaHostPathGuard",
	"antrea-controller-placement": "AntreaControllerPlacement",
}

// setParams writes a rule's parameters (server-side apply: members left out fall back to the
// schema's defaults, the Kubewarden defaults).
func setParams(t *testing.T, ctx context.Context, c *client, rule string, settings map[string]any) {
	t.Helper()
	params := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "params.antrea-admission.dev/v1alpha1", "kind": paramKinds[rule],
		"metadata": map[string]any{"name": "default"}, "spec": settings,
	}}
	if err := c.apply(ctx, params); err != nil {
		t.Fatalf("parameters %v: %v", settings, err)
	}
}

// waitParams waits until the API server judges with the new parameters (its admission plugin
// watches them): a fixture whose Kubewarden verdict the settings change gets the new verdict.
func waitParams(t *testing.T, ctx context.Context, c *client, rule string, all []fixture, settings map[string]any,
	live map[string]*unstructured.Unstructured) {
	t.Helper()
	before, err := kubewarden(rule, map[string]any{}, requestsOf(all))
	if err != nil {
		t.Fatal(err)
	}
	after, err := kubewarden(rule, settings, requestsOf(all))
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range all {
		if before[i].Allowed == after[i].Allowed && before[i].Message == after[i].Message {
			continue
		}
		probe := judged(ctx, c, rule, f, live)
		if probe.refused != "" || probe.notExpressible != "" {
			continue
		}
		for deadline := time.Now().Add(30 * time.Second); ; {
			if probe.denied == after[i].Message || (probe.denied == "" && after[i].Allowed) ||
				(!after[i].Allowed && sameReason(probe.denied, after[i].Message)) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("parameters %v not in effect after 30 s: %s still gets %q", settings, f.file, probe.denied)
			}
			time.Sleep(100 * time.Millisecond)
			probe = judged(ctx, c, rule, f, live)
		}
	}
	t.Fatalf("parameters %v change no fixture's verdict: choose settings the fixtures tell apart", settings)
}
