complete --keep-order --exclusive --command aws-runas --arguments "(COMPLETE=fish aws-runas -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
