package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// generatedCount is how many generated requests per rule go through the API server
// (NATIVE_GENERATED overrides it).
func generatedCount(t *testing.T) int {
	if value := os.Getenv("NATIVE_GENERATED"); value != "" {
		n, err := strconv.Atoi(value)
		if err != nil {
			t.Fatalf("NATIVE_GENERATED=%q: %v", value, err)
		}
		return n
	}
	return 1000
}

// generated are the requests the Kubewarden policy's property tests generate from its
// fixtures (mutated volumes, paths respelled, fields changed), a fixed seed: the same every run.
func generated(t *testing.T, rule string, count int) []fixture {
	t.Helper()
	path := os.Getenv("KUBEWARDEN_ORACLE")
	if path == "" {
		path = repo("target", "release", "kubewarden-oracle")
	}
	out, err := exec.Command(path, "generate", rule, strconv.Itoa(count)).Output()
	if err != nil {
		t.Fatalf("%s generate %s: %v", path, rule, err)
	}
	var all []fixture
	scanner := bufio.NewScanner(bytes.NewReader(out))
	scanner.Buffer(make([]byte, 1<<20), 1<<26)
	for scanner.Scan() {
		var request map[string]any
		if err := json.Unmarshal(scanner.Bytes(), &request); err != nil {
			t.Fatal(err)
		}
		for _, member := range []string{"object", "oldObject"} {
			if object, ok := request[member].(map[string]any); ok {
				completeForAPI(object)
			}
		}
		all = append(all, fixture{file: fmt.Sprintf("generated-%d", len(all)), request: request})
	}
	if len(all) != count {
		t.Fatalf("%d generated requests, want %d", len(all), count)
	}
	return all
}

// judgeExactly replays requests under a [Warn] binding and holds each native verdict (the
// policy's warning) to the Kubewarden verdict on the exact request the API server judged (what
// the recording webhook received): the API server's own changes (a status update keeps only
// status and metadata) are on both sides.
func judgeExactly(t *testing.T, ctx context.Context, r *exactRecorder, warned *client, rule string, all []fixture,
	live map[string]*unstructured.Unstructured) {
	t.Helper()
	var requests []map[string]any
	var native [][]string
	var files []string
	var notExpressible, refused, unreached int
	for _, f := range all {
		name, _ := replayName(f)
		namespace, _ := f.request["namespace"].(string)
		old, isUpdate := f.request["oldObject"].(map[string]any)
		if isUpdate && live != nil && live[f.file] == nil && f.request["operation"] == "UPDATE" {
			// Stored first, so that its own review (and warning) is not taken for the update's.
			if stored, err := createOld(ctx, warned, stored(old, name, namespace)); err == nil {
				live[f.file] = stored
			}
		}
		r.take("", "")
		got := replay(ctx, warned, rule, f, name, live[f.file])
		recorded, warnings := r.take(namespace, name)
		switch {
		case got.notExpressible != "":
			notExpressible++
		case got.refused != "":
			refused++
		case recorded == nil:
			unreached++
			t.Logf("%s never reached validating admission", f.file)
		default:
			requests = append(requests, recorded)
			native = append(native, policyWarnings(rule, warnings))
			files = append(files, f.file)
		}
	}
	expected, err := kubewarden(rule, map[string]any{}, requests)
	if err != nil {
		t.Fatal(err)
	}
	denied := 0
	for i, want := range expected {
		// Every failed validation warns, in the policy's order, which is the Kubewarden policy's:
		// the first warning is the reason it names (and the one a [Deny] binding refuses with).
		switch {
		case (len(native[i]) == 0) != want.Allowed:
			t.Errorf("%s: API server %q, Kubewarden allowed=%v %q", files[i], native[i], want.Allowed, want.Message)
		case !want.Allowed && !sameReason(native[i][0], want.Message):
			t.Errorf("%s: messages differ:\n  API server: %q\n  Kubewarden: %s", files[i], native[i], want.Message)
		case !want.Allowed:
			denied++
		}
	}
	t.Logf("%s: %d generated requests: %d judged by both on the same request (%d denied), %d not API calls, %d refused before admission, %d never reached admission",
		rule, len(all), len(requests), denied, notExpressible, refused, unreached)
	if len(requests) < len(all)/4 || denied == 0 || denied == len(requests) {
		t.Errorf("too few generated requests judged, or all with one verdict: %d judged, %d denied", len(requests), denied)
	}
}

// replayable keeps the first `count` requests that are API calls the rules judge (a CREATE or
// an UPDATE with objects): the generators also vary the operation and break the objects.
func replayable(all []fixture, count int) []fixture {
	var kept []fixture
	for _, f := range all {
		_, hasObject := f.request["object"].(map[string]any)
		_, hasOld := f.request["oldObject"].(map[string]any)
		switch operation := f.request["operation"]; {
		case len(kept) == count:
			return kept
		case hasObject && (operation == "CREATE" || (operation == "UPDATE" && hasOld)):
			kept = append(kept, f)
		}
	}
	return kept
}

// completeForAPI fills in what the API server's validation requires of a workload and the
// fixtures the requests are generated from leave out, none of it read by the rules: a Job's
// restartPolicy, a ReplicationController's selector as a plain map. The exact request the API
// server judged is what both sides are asked about, so the change is on both sides.
func completeForAPI(object map[string]any) {
	switch str(object, "kind") {
	case "Job":
		if str(object, "spec", "template", "spec", "restartPolicy") == "" {
			_ = unstructured.SetNestedField(object, "Never", "spec", "template", "spec", "restartPolicy")
		}
	case "CronJob":
		if str(object, "spec", "jobTemplate", "spec", "template", "spec", "restartPolicy") == "" {
			_ = unstructured.SetNestedField(object, "Never", "spec", "jobTemplate", "spec", "template", "spec", "restartPolicy")
		}
	case "ReplicationController":
		if labels, ok, _ := unstructured.NestedStringMap(object, "spec", "selector", "matchLabels"); ok {
			_ = unstructured.SetNestedStringMap(object, labels, "spec", "selector")
		}
	}
}

// Generated requests, sent as real API calls, get the Kubewarden policy's verdict on the very
// request the API server judged: the same comparison as the fixtures', on cases no one wrote.
func TestGeneratedRequestsGetTheKubewardenVerdict(t *testing.T) {
	c := edition(t)
	ctx := context.Background()
	grantReplayGroup(t, ctx, c)
	recorder, warned := startExactRecorder(t, ctx, c)
	count := generatedCount(t)
	for _, rule := range []string{"antrea-hostpath-guard", "antrea-agent-status-updates"} {
		t.Run(rule, func(t *testing.T) {
			all := replayable(generated(t, rule, 4*count), count)
			var live map[string]*unstructured.Unstructured
			if rule == "antrea-hostpath-guard" {
				live = storeOldObjects(t, ctx, c, rule, all)
			}
			warnOnly(t, ctx, c, rule)
			probes, err := fixtures(rule)
			if err != nil {
				t.Fatal(err)
			}
			waitWarned(t, recorder, rule, func() error {
				for _, f := range probes {
					if f.file == "pod-hostpath-run-alias" || f.file == "pod-label-added" {
						name, _ := replayName(f)
						got := replay(ctx, warned, rule, f, name, nil)
						if got.refused != "" || got.denied != "" {
							return fmt.Errorf("%s %s", got.refused, got.denied)
						}
					}
				}
				return nil
			})
			judgeExactly(t, ctx, recorder, warned, rule, all, live)
		})
	}
}
