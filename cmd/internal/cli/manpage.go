package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// CheckManPage reports every option of p that the man page at path does not
// document, as roff writes it (\-o, \-\-output, \-\-keep\-session). Each
// command's test calls it, so no option ships undocumented.
func (p Program) CheckManPage(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	page := string(b)
	var missing []string
	p.FlagSet().VisitAll(func(f *pflag.Flag) {
		if !strings.Contains(page, `\-\-`+strings.ReplaceAll(f.Name, "-", `\-`)) {
			missing = append(missing, "--"+f.Name)
		}
		if f.Shorthand != "" && !strings.Contains(page, `\-`+f.Shorthand) {
			missing = append(missing, "-"+f.Shorthand)
		}
	})
	if len(missing) > 0 {
		return fmt.Errorf("%s does not document %s", path, strings.Join(missing, ", "))
	}
	return nil
}
