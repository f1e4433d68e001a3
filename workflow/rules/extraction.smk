# extraction stage: rules come with the extraction module.
