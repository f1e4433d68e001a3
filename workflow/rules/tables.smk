# tables stage: rules come with the tables module.
