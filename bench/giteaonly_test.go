package main

import (
	"encoding/json"
	"testing"
)

func TestSetKeyKeepsTheOtherKeysInOrder(t *testing.T) {
	doc := []byte("{\n  \"when\": \"x\",\n  \"endpoints\": [1, 2],\n  \"gitea\": {\"old\": true},\n  \"notes\": null\n}\n")
	got, err := setKey(doc, "gitea", json.RawMessage(`{"extensions":120}`))
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"when\": \"x\",\n  \"endpoints\": [\n    1,\n    2\n  ],\n  \"gitea\": {\n    \"extensions\": 120\n  },\n  \"notes\": null\n}\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	got, err = setKey(nil, "gitea", json.RawMessage(`1`))
	if err != nil || string(got) != "{\n  \"gitea\": 1\n}\n" {
		t.Errorf("from nothing: %q, %v", got, err)
	}
	if _, err := setKey([]byte("[1]"), "gitea", json.RawMessage(`1`)); err == nil {
		t.Error("a JSON array was accepted as the results file")
	}
}
