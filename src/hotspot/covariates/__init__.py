"""covariates stage: deprivation (IoD2019 Files 1, 2 and 7), Universal Credit (DWP Stat-Xplore) and
population (ONS mid-year estimates) readers, and area profiles.

``imd.read_imd(path)``, ``universal_credit.read_statxplore(path)`` /
``universal_credit.write_statxplore(df, path, title, measure)``, ``population.read_population(path)``,
``profiles.area_profile(offences, areas, ...)``, ``profiles.by_imd_decile(...)``;
``codes.read_lsoa_lookup`` / ``codes.recode_2011_to_2021`` / ``imd.imd_to_2021`` join 2011-coded tables
to 2021 LSOAs; ``lsoa.lsoa_covariates(areas, imd=, population=, uc=, lookup=)`` puts whichever were given
on the boundary LSOAs (absent ones are NA columns).
"""

from hotspot.covariates.imd import IMD_FILE7_COLUMNS, imd_to_2021, read_imd
from hotspot.covariates.lsoa import lsoa_covariates
from hotspot.covariates.population import read_population
from hotspot.covariates.profiles import area_profile, by_imd_decile
from hotspot.covariates.universal_credit import read_statxplore, write_statxplore

__all__ = ["IMD_FILE7_COLUMNS", "read_imd", "imd_to_2021", "lsoa_covariates", "read_population", "read_statxplore", "write_statxplore",
           "area_profile", "by_imd_decile"]
