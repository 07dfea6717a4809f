package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// verdict is the Kubewarden policy's answer to one request.
type verdict struct {
	Allowed bool           `json:"allowed"`
	Message string         `json:"message"`
	Mutated map[string]any `json:"mutated"`
	Error   string         `json:"error"`
}

// kubewarden runs crates/kubewarden-oracle (the policies' own evaluate functions, built by
// `make native-e2e`) once over every request: the expected verdicts.
func kubewarden(policy string, settings map[string]any, requests []map[string]any) ([]verdict, error) {
	path := os.Getenv("KUBEWARDEN_ORACLE")
	if path == "" {
		path = repo("target", "release", "kubewarden-oracle")
	}
	var input bytes.Buffer
	for _, request := range requests {
		line, err := json.Marshal(map[string]any{"policy": policy, "settings": settings, "request": request})
		if err != nil {
			return nil, err
		}
		input.Write(append(line, '\n'))
	}
	cmd := exec.Command(path)
	cmd.Stdin = &input
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s (build it with `make native-e2e`): %w", path, err)
	}
	var verdicts []verdict
	scanner := bufio.NewScanner(bytes.NewReader(out))
	scanner.Buffer(make([]byte, 1<<20), 1<<26)
	for scanner.Scan() {
		var v verdict
		if err := json.Unmarshal(scanner.Bytes(), &v); err != nil {
			return nil, err
		}
		if v.Error != "" {
			return nil, fmt.Errorf("oracle: %s", v.Error)
		}
		verdicts = append(verdicts, v)
	}
	if len(verdicts) != len(requests) {
		return nil, fmt.Errorf("oracle answered %d of %d requests", len(verdicts), len(requests))
	}
	return verdicts, nil
}

// fixture is one admission request of a Kubewarden policy's test_data.
type fixture struct {
	file    string
	request map[string]any
}

// fixtures reads every admission request of a policy's test_data (other JSON files, such as
// the objects they are built from, have no operation).
func fixtures(rule string) ([]fixture, error) {
	paths, err := filepath.Glob(repo("policies", rule, "test_data", "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var out []fixture
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var request map[string]any
		if json.Unmarshal(data, &request) != nil || request["operation"] == nil {
			continue
		}
		out = append(out, fixture{file: strings.TrimSuffix(filepath.Base(path), ".json"), request: request})
	}
	return out, nil
}
