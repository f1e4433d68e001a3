# living stage: rules come with the living module.
