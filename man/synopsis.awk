# SPDX-License-Identifier: MIT
# man/synopsis.awk: a man page's SYNOPSIS as C (for man/check-pages): .B, .I lines
# as they are, .BI/.IR/... lines with their quoted and unquoted parts joined.
/^\.SH SYNOPSIS/ { on = 1; next }
/^\.SH / { on = 0 }
!on { next }
/^\.(PP|nf|fi|sp|br)/ { print ""; next }
/^\.\\"/ { next }
/^\.(B|I) / { sub(/^\.(B|I) /, ""); gsub(/\\%|\\&/, ""); gsub(/"/, ""); print; next }
/^\.(BI|IB|BR|RB|IR|RI) / {
	sub(/^\.[A-Z][A-Z] /, ""); gsub(/\\%|\\&/, "")
	out = ""; q = 0
	for (i = 1; i <= length($0); i++) {
		c = substr($0, i, 1)
		if (c == "\"") { q = !q; continue }
		if (!q && (c == " " || c == "\t")) continue
		out = out c
	}
	print out; next
}
/^\./ { next }
{ gsub(/\\%|\\&/, ""); print }
