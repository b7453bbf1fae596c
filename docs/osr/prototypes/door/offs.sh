#!/bin/sh
# The tool's job, from the host's DWARF: each local of `work` -> its rsp offset at the site.
llvm-dwarfdump --name=${FN:-work} -c "$1" | awk '
  /DW_AT_location/ { loc=$0 }
  /DW_OP_breg7 RSP\+[0-9]+, DW_OP_deref\)/ { loc=$0 }
  /DW_AT_name/ { n=$0; gsub(/.*\("|"\).*/,"",n);
     if (match(loc,/fbreg \+[0-9]+/)) { o=substr(loc,RSTART+7,RLENGTH-7); printf "%s%s=%s", sep, n, o; sep="," }
     else if (match(loc,/RSP\+[0-9]+, DW_OP_deref/)) { o=substr(loc,RSTART+4,RLENGTH-17); printf "%s%s=%s*", sep, n, o; sep="," }
     loc="" }'
