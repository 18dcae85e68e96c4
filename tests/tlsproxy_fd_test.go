package tests

import (
	"os"
	"regexp"
)

func readDirNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

func matchText(re, text string) bool { return regexp.MustCompile(re).MatchString(text) }
