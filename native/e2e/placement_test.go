package e2e

import (
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
)

// placement is what the controller placement policy changes in a Pod.
type placement struct {
	Required    *corev1.NodeSelector
	Tolerations []corev1.Toleration
}

// placementOf reads a Pod's required node affinity and its tolerations, without the two the
// DefaultTolerationSeconds admission plugin adds to every Pod (not-ready and unreachable, 300 s)
// unless the Pod had them.
func placementOf(t *testing.T, object map[string]any, before []corev1.Toleration) placement {
	t.Helper()
	data, err := json.Marshal(object)
	if err != nil {
		t.Fatal(err)
	}
	var pod corev1.Pod
	if err := json.Unmarshal(data, &pod); err != nil {
		t.Fatalf("not a Pod: %v", err)
	}
	var p placement
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil {
		p.Required = a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	}
	for _, toleration := range pod.Spec.Tolerations {
		defaulted := toleration.TolerationSeconds != nil && *toleration.TolerationSeconds == 300 &&
			(toleration.Key == corev1.TaintNodeNotReady || toleration.Key == corev1.TaintNodeUnreachable)
		had := false
		for _, b := range before {
			had = had || equality.Semantic.DeepEqual(b, toleration)
		}
		if !defaulted || had {
			p.Tolerations = append(p.Tolerations, toleration)
		}
	}
	return p
}

// samePlacement: the Pod the API server admitted is placed as the Kubewarden policy's mutated
// Pod (or, when it does not mutate, as the Pod sent).
func samePlacement(t *testing.T, f fixture, want verdict, got replayed) bool {
	t.Helper()
	sent, _ := f.request["object"].(map[string]any)
	expected := sent
	if want.Mutated != nil {
		expected = want.Mutated
	}
	before := placementOf(t, sent, nil).Tolerations
	wanted, admitted := placementOf(t, expected, nil), placementOf(t, got.object, before)
	if equality.Semantic.DeepEqual(wanted, admitted) {
		return true
	}
	w, _ := json.Marshal(wanted)
	a, _ := json.Marshal(admitted)
	t.Errorf("%s: placement differs:\n  API server: %s\n  Kubewarden: %s", f.file, a, w)
	return false
}
