# sources stage: rules come with the sources module.
