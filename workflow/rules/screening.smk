# screening stage: rules come with the screening module.
